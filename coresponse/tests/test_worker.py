"""`coresponse worker` runs what is enqueued and enqueues the periodic jobs when they are due."""

import pytest
from django.core.management import call_command
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from coresponse import schedule

RAN = []


@task()
def note(word: str) -> str:
    RAN.append(word)
    return word.upper()


@task()
def tick() -> None:
    RAN.append("tick")


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    RAN.clear()


# transaction=True: the worker closes stale connections between polls, as a real one must, which
# would close a test's wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_an_enqueued_task_waits_for_the_worker_and_then_runs_once(database_tasks):
    result = note.enqueue("ready")
    assert RAN == [] and DBTaskResult.objects.get().status == "READY"
    call_command("worker", once=True, no_schedule=True)
    call_command("worker", once=True, no_schedule=True)  # nothing left: it does not run again
    assert RAN == ["ready"]
    result.refresh()
    assert result.status == "SUCCESSFUL" and result.return_value == "READY"


@pytest.mark.django_db(transaction=True)
def test_periodic_jobs_are_enqueued_when_their_interval_has_passed(database_tasks, monkeypatch):
    monkeypatch.setattr(schedule, "PERIODIC", {})
    schedule.every(minutes=5)(tick)
    [job] = schedule.PERIODIC.values()
    assert schedule.due({}, now=0.0) == [job]  # never run: due at once
    assert schedule.due({job.name: 0.0}, now=299.0) == []
    assert schedule.due({job.name: 0.0}, now=300.0) == [job]
    call_command("worker", once=True)
    assert RAN == ["tick"]


def test_a_periodic_job_needs_an_interval():
    with pytest.raises(ValueError):
        schedule.every()(tick)
