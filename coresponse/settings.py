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
    "rest_framework.authtoken",
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
    # Production serves collected, compressed static files itself; runserver and the live
    # test server use Django's own finders, so no collectstatic is needed to develop.
    *(["whitenoise.middleware.WhiteNoiseMiddleware"] if PRODUCTION else []),
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
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

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
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
SESSION_COOKIE_AGE = 8 * 60 * 60  # one shift
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "true").lower() == "true"
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# The REST API (/api/v1/, docs/api.md). Token first, so an anonymous request is told to
# authenticate (401 with WWW-Authenticate: Token) rather than refused (403).
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
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
