"""What every test shares."""

import pytest


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Background tasks run in the process that enqueues them, so a test sees their effect
    without a worker; tests of the worker itself set the database backend again."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def fresh_policy_terms():
    """The policy's per-process cache of agreements starts empty in every test (a test that
    writes agreements behind the ORM's back would otherwise see another test's)."""
    from coresponse.privacy.policy import forget_terms

    forget_terms()


@pytest.fixture
def browser(monkeypatch, settings):
    """Debian's chromium through Playwright (never a downloaded browser). Sign-in still goes
    through the real form; only the deliberately slow password hash is swapped."""
    from coresponse.web.tests.browser import CHROMIUM, LAUNCH_ARGS

    # New passwords get the fast hash; ones made before this fixture still verify.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        *settings.PASSWORD_HASHERS,
    ]
    # live_server runs the app in a thread while Playwright's sync API holds an event loop here.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield launched
        finally:
            launched.close()
