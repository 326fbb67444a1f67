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
