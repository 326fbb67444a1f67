"""The security settings of a production deployment, read by the console script in a
subprocess as a server would load them (docs/security.md)."""

import json

from coresponse.tests.test_command_and_settings import run

PRODUCTION = {
    "CORESPONSE_ENV": "production",
    "SECRET_KEY": "y" * 64 + "-another-long-random-production-key",
    "ALLOWED_HOSTS": "coresponse.example.org",
}
PRINT = (
    "import json; from django.conf import settings as s; print(json.dumps({k: getattr(s, k) "
    "for k in ['SESSION_COOKIE_NAME', 'SESSION_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY', "
    "'SESSION_COOKIE_SAMESITE', 'SESSION_EXPIRE_AT_BROWSER_CLOSE', 'CSRF_COOKIE_NAME', "
    "'CSRF_COOKIE_SECURE', 'CSRF_COOKIE_HTTPONLY', 'SECURE_HSTS_SECONDS', 'SECURE_SSL_REDIRECT', "
    "'CORESPONSE_IDLE_LOCK_MINUTES', 'CORESPONSE_LOCKOUT_MINUTES', 'PASSWORD_HASHERS']}))"
)


def test_production_cookies_are_secure_host_only_and_end_with_the_browser(tmp_path):
    result = run(["shell", "-c", PRINT], CORESPONSE_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout.strip().splitlines()[-1])
    assert s["SESSION_COOKIE_NAME"] == "__Host-sessionid"
    assert s["CSRF_COOKIE_NAME"] == "__Host-csrftoken"
    assert s["SESSION_COOKIE_SECURE"] and s["CSRF_COOKIE_SECURE"]
    assert s["SESSION_COOKIE_HTTPONLY"] and s["CSRF_COOKIE_HTTPONLY"]
    assert s["SESSION_COOKIE_SAMESITE"] == "Lax" and s["SESSION_EXPIRE_AT_BROWSER_CLOSE"]
    assert s["SECURE_HSTS_SECONDS"] >= 31536000 and s["SECURE_SSL_REDIRECT"]
    assert s["CORESPONSE_IDLE_LOCK_MINUTES"] == 30 and s["CORESPONSE_LOCKOUT_MINUTES"] >= 10
    assert s["PASSWORD_HASHERS"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_the_idle_lock_and_lockout_periods_come_from_the_environment(tmp_path):
    result = run(
        ["shell", "-c", PRINT],
        CORESPONSE_VAR_DIR=str(tmp_path),
        CORESPONSE_IDLE_LOCK_MINUTES="15",
        CORESPONSE_LOCKOUT_MINUTES="30",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    s = json.loads(result.stdout.strip().splitlines()[-1])
    assert s["CORESPONSE_IDLE_LOCK_MINUTES"] == 15 and s["CORESPONSE_LOCKOUT_MINUTES"] == 30
