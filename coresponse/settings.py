"""Settings, all read from the environment so one build serves the laptop demo and production.

DATABASE_URL      any dj-database-url URL; unset means SQLite in var/coresponse.sqlite3 (WAL).
SECRET_KEY        required when CORESPONSE_ENV=production.
CORESPONSE_ENV    "production" turns on the deploy checks (no DEBUG, secure cookies, HSTS).
ALLOWED_HOSTS     comma-separated; defaults to localhost outside production.
CORESPONSE_TIME_ZONE  the program's local zone, used for display and exports.
CORESPONSE_VAR_DIR    where the SQLite file and other runtime state live.
CORESPONSE_FREQUENT_CALLER_CALLS / _DAYS  a caller with that many calls in that many days is
    flagged as a frequent caller at intake (default 3 in 90).
CORESPONSE_TASKS      "database" (default: `coresponse worker` runs them) or "immediate".
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CORESPONSE_VAR_DIR", BASE_DIR / "var"))
PRODUCTION = os.environ.get("CORESPONSE_ENV", "development") == "production"

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when CORESPONSE_ENV=production")
    SECRET_KEY = "dev-only-insecure-key-never-use-in-production"

DEBUG = not PRODUCTION and os.environ.get("DEBUG", "true").lower() in ("1", "true", "yes")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get(
        "ALLOWED_HOSTS", "" if PRODUCTION else "localhost,127.0.0.1,[::1],testserver"
    ).split(",")
    if h.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # Second factors (docs/security.md): authenticator apps (TOTP) and backup codes; passkeys
    # are agencies.Passkey, a django-otp device of ours.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_tasks",
    "django_tasks_db",
    "coresponse.agencies",
    "coresponse.people",
    "coresponse.privacy",
    "coresponse.dispatch",
    "coresponse.field",
    "coresponse.care",
    "coresponse.operations",
    "coresponse.insights",
    "coresponse.interop",
    "coresponse.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (CONTENT_SECURITY_POLICY below) and Permissions-Policy.
    "csp.middleware.CSPMiddleware",
    "coresponse.web.session_security.PermissionsPolicyMiddleware",
    # Production serves collected, compressed static files itself; runserver and the live
    # test server use Django's own finders, so no collectstatic is needed to develop.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): signed in with a second factor in this session.
    "django_otp.middleware.OTPMiddleware",
    # The idle lock, then the second factor a role requires (docs/security.md).
    "coresponse.web.session_security.IdleLockMiddleware",
    "coresponse.web.session_security.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "coresponse.urls"
WSGI_APPLICATION = "coresponse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "coresponse.web.context.navigation",
                "coresponse.web.session_security.context",
            ],
        },
    },
]


def _database() -> dict:
    url = os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'coresponse.sqlite3'}"
    db = dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    if db["ENGINE"].endswith("sqlite3"):
        db["CONN_MAX_AGE"] = 0
        # WAL lets the dispatch board read while an import writes; IMMEDIATE avoids
        # "database is locked" upgrades inside write transactions.
        db["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
            " PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000;",
            "transaction_mode": "IMMEDIATE",
        }
    return db


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "agencies.User"

# Argon2id first: new passwords are hashed with it, and an older hash (PBKDF2, from before)
# is re-hashed with it the next time its owner signs in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
# The model backend, refusing a username while it is locked out (agencies/backends.py).
AUTHENTICATION_BACKENDS = ["coresponse.agencies.backends.LockoutModelBackend"]
# NIST SP 800-63B: length, not composition rules; at least 15 characters for a password that
# may be the only factor, checked against common and guessable passwords.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 15},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("CORESPONSE_TIME_ZONE", "America/Denver")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 8 * 60 * 60  # one shift at most, however active (web/session_security.py)
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: forms carry the token
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp): only this server's own scripts, styles and images; no
# inline script or style="" anywhere, no plugins, no framing, forms post only here.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}
# Browser features no page of Coresponse uses, turned off (publickey-credentials-* stay on for
# passkeys).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), encrypted-media=(), "
    "fullscreen=(self), geolocation=(self), gyroscope=(), magnetometer=(), microphone=(), "
    "midi=(), payment=(), usb=(), serial=(), bluetooth=(), hid=(), "
    "publickey-credentials-create=(self), publickey-credentials-get=(self)"
)

# Accounts (docs/security.md). After this many minutes without a request the session is locked
# until its password is typed again (CJIS 5.5.5: at most 30).
CORESPONSE_IDLE_LOCK_MINUTES = float(os.environ.get("CORESPONSE_IDLE_LOCK_MINUTES", "30"))
# Roles whose screens never idle-lock, e.g. "dispatcher" for consoles in a physically secure
# PSAP (the exemption CJIS 5.5.5 makes for dispatch terminals). None by default.
CORESPONSE_IDLE_LOCK_EXEMPT_ROLES = {
    r.strip()
    for r in os.environ.get("CORESPONSE_IDLE_LOCK_EXEMPT_ROLES", "").split(",")
    if r.strip()
}
# This many consecutive failed sign-ins lock a username for CORESPONSE_LOCKOUT_MINUTES (CJIS
# 5.5.3: at most 5 attempts, at least 10 minutes) unless an administrator unlocks it sooner.
CORESPONSE_LOCKOUT_ATTEMPTS = 5
CORESPONSE_LOCKOUT_MINUTES = int(os.environ.get("CORESPONSE_LOCKOUT_MINUTES", "15"))
# Personal API tokens: the default and the longest lifetime `coresponse token --hours` gives.
CORESPONSE_API_TOKEN_HOURS = int(os.environ.get("CORESPONSE_API_TOKEN_HOURS", "8"))
CORESPONSE_API_TOKEN_MAX_HOURS = int(os.environ.get("CORESPONSE_API_TOKEN_MAX_HOURS", "24"))
# Shown on the sign-in page before anyone signs in (CJIS 5.5.4 system use notification).
CORESPONSE_SYSTEM_USE_NOTICE = os.environ.get(
    "CORESPONSE_SYSTEM_USE_NOTICE",
    "Authorized users only. You are accessing a restricted information system of a "
    "co-responder program. It holds criminal justice information and protected health "
    "information, including substance use disorder records protected by 42 CFR Part 2, and "
    "may be used only for the official purposes of your role. All use is monitored, recorded "
    "and subject to audit; you have no expectation of privacy on this system. Unauthorized "
    "use or disclosure is prohibited and may be a crime subject to criminal and civil "
    "penalties. By signing in you consent to this monitoring.",
)
# Passkeys: the WebAuthn relying party id, by default the host name the browser used.
CORESPONSE_WEBAUTHN_RP_ID = os.environ.get("CORESPONSE_WEBAUTHN_RP_ID", "")
OTP_TOTP_ISSUER = "Coresponse"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host- cookies are sent only over TLS, to this exact host, for every path.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() == "true"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The REST API (/api/v1/, docs/api.md). Bearer tokens first, so an anonymous request is told
# to authenticate (401 with WWW-Authenticate: Bearer) rather than refused (403).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "coresponse.agencies.api_auth.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Coresponse API",
    "DESCRIPTION": "Calls for service for co-responder programs: take a call, read its triage.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

# A caller with this many calls (the one being taken included) within this many days is
# flagged as a frequent caller at intake.
CORESPONSE_FREQUENT_CALLER_CALLS = int(os.environ.get("CORESPONSE_FREQUENT_CALLER_CALLS", "3"))
CORESPONSE_FREQUENT_CALLER_DAYS = int(os.environ.get("CORESPONSE_FREQUENT_CALLER_DAYS", "90"))
# Care (docs/care.md): a frequent client has this many crisis encounters within this many days
# (the outreach list); reminders look this many days back for overdue follow-ups.
CORESPONSE_FREQUENT_CLIENT_ENCOUNTERS = int(
    os.environ.get("CORESPONSE_FREQUENT_CLIENT_ENCOUNTERS", "3")
)
CORESPONSE_FREQUENT_CLIENT_DAYS = int(os.environ.get("CORESPONSE_FREQUENT_CLIENT_DAYS", "365"))
CORESPONSE_REMINDER_LOOKBACK_DAYS = int(os.environ.get("CORESPONSE_REMINDER_LOOKBACK_DAYS", "14"))

# Audit entries are kept at least this long (HIPAA asks six years of its documentation; never
# less than one year: `coresponse audit prune` refuses younger entries).
CORESPONSE_AUDIT_RETENTION_DAYS = max(
    365, int(os.environ.get("CORESPONSE_AUDIT_RETENTION_DAYS", str(6 * 365)))
)
# How long a break-glass opening of a record lasts.
CORESPONSE_BREAK_GLASS_MINUTES = int(os.environ.get("CORESPONSE_BREAK_GLASS_MINUTES", "60"))

# Background tasks (Django's tasks framework through the django-tasks backport): stored in the
# database and run by `coresponse worker`. CORESPONSE_TASKS=immediate runs each task at once in
# the process that enqueues it (the test suite, a laptop without a worker).
TASKS = {
    "default": {
        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"
        if os.environ.get("CORESPONSE_TASKS", "database") == "immediate"
        else "django_tasks_db.DatabaseBackend"
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}
