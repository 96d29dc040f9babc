"""``steward worker``: run background tasks, the heartbeat and the periodic schedule."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django_tasks_db.management.commands.db_worker import Worker

from steward.core import context
from steward.core.worker import Housekeeper, new_worker_id


class Command(BaseCommand):
    help = "Run the background task worker (with heartbeat and periodic schedule)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--queue", action="append", dest="queues", default=None)
        parser.add_argument("--interval", type=float, default=1.0, help="Poll interval (s).")
        parser.add_argument(
            "--batch", action="store_true", help="Exit when the queue is empty (for scripts)."
        )
        parser.add_argument("--max-tasks", type=int, default=None)
        parser.add_argument(
            "--no-schedule", action="store_true", help="Do not run the periodic schedule."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        worker_id = new_worker_id()
        housekeeper = None
        if not options["no_schedule"]:
            housekeeper = Housekeeper(worker_id)
            housekeeper.start()
        worker = Worker(
            queue_names=options["queues"] or ["default"],
            interval=options["interval"],
            batch=options["batch"],
            backend_name="default",
            startup_delay=not options["batch"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
            excluded_queue_names=[],
        )
        self.stdout.write(f"Steward worker {worker_id} started.")
        try:
            with context.acting("task"):
                worker.configure_signals()
                worker.run()
        finally:
            if housekeeper is not None:
                housekeeper.stop()
