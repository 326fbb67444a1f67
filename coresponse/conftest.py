"""What every test shares."""

import pytest


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    """Background tasks run in the process that enqueues them, so a test sees their effect
    without a worker; tests of the worker itself set the database backend again."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
