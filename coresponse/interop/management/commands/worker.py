"""`coresponse worker`: runs background tasks (Django's tasks framework, database backend) and
enqueues the periodic jobs of coresponse.schedule."""

import signal
import socket
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.module_loading import autodiscover_modules
from django_tasks_db.management.commands.db_worker import Worker

from coresponse.schedule import due


class Command(BaseCommand):
    help = (
        "Run background tasks as they are enqueued (incremental identity linking, reminders, "
        "...), and enqueue the periodic jobs on their intervals. Run one per deployment with "
        "--schedule (the default); more without it to add throughput."
    )

    def add_arguments(self, parser):
        parser.add_argument("--interval", type=float, default=1.0, help="seconds between polls")
        parser.add_argument(
            "--no-schedule", action="store_true", help="run tasks only; enqueue no periodic jobs"
        )
        parser.add_argument(
            "--once", action="store_true", help="enqueue what is due, run what is ready, exit"
        )

    def handle(self, interval, no_schedule, once, **options):
        autodiscover_modules("tasks")  # the apps' tasks modules register their periodic jobs
        stopping = []
        if not once:
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, lambda *_: stopping.append(True))
        worker = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,  # run every ready task, then return here
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=f"{socket.gethostname()}-{id(self):x}"[:64],
            excluded_queue_names=[],
        )
        last_run: dict[str, float] = {}
        if not once:
            self.stdout.write(f"Worker running (every {interval:g} s); Ctrl-C stops it.")
        while not stopping:
            close_old_connections()
            if not no_schedule:
                now = time.monotonic()
                for job in due(last_run, now):
                    job.task.enqueue()
                    last_run[job.name] = now
            worker.run()
            if once:
                return
            time.sleep(interval)
