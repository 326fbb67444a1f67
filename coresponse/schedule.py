"""Periodic jobs: tasks that `coresponse worker` enqueues on a fixed interval.

    from django_tasks import task
    from coresponse.schedule import every

    @every(minutes=15)
    @task()
    def remind_due_followups(): ...

Background work is Django's tasks framework (the django-tasks backport, the database backend of
django-tasks-db): a task is enqueued where the work arises and run by `coresponse worker`.
Periodic jobs are listed here by the apps' `tasks` modules, which the worker imports at start.
Below the apps' layers: it knows no model.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Periodic:
    name: str
    seconds: float
    task: object  # a django_tasks Task


PERIODIC: dict[str, Periodic] = {}


def every(*, minutes: float = 0, seconds: float = 0):
    """Register a task to be enqueued every interval (by the worker that runs --schedule)."""
    interval = minutes * 60 + seconds
    if interval <= 0:
        raise ValueError("a periodic task needs a positive interval")

    def register(task):
        name = task.module_path
        PERIODIC[name] = Periodic(name, interval, task)
        return task

    return register


def due(last_run: dict[str, float], now: float) -> list[Periodic]:
    """The periodic jobs whose interval has passed since they were last enqueued (or never)."""
    return [job for name, job in PERIODIC.items() if now - last_run.get(name, -1e18) >= job.seconds]
