"""The worker process: django-tasks-db's worker loop, plus a heartbeat and the scheduler.

The heartbeat and scheduler run in a daemon thread with their own database connection, so a
long task never makes ``/readyz`` think the worker is gone and never delays the schedule.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid

from django.db import close_old_connections, connection
from django.utils import timezone

from steward.core import conf, context, scheduler
from steward.core.models import WorkerHeartbeat

logger = logging.getLogger("steward.worker")


def beat(worker_id: str) -> None:
    """Record that ``worker_id`` is alive now."""
    now = timezone.now()
    updated = WorkerHeartbeat.objects.filter(worker_id=worker_id).update(seen_at=now)
    if not updated:
        WorkerHeartbeat.objects.create(
            worker_id=worker_id,
            hostname=socket.gethostname()[:255],
            pid=os.getpid(),
            started_at=now,
            seen_at=now,
        )


class Housekeeper(threading.Thread):
    """Beats the heart and ticks the scheduler every ``SCHEDULER_INTERVAL`` seconds."""

    def __init__(self, worker_id: str, interval: float | None = None) -> None:
        super().__init__(name="steward-housekeeper", daemon=True)
        self.worker_id = worker_id
        self.interval = interval if interval is not None else conf.get("SCHEDULER_INTERVAL")
        self.stopped = threading.Event()

    def run(self) -> None:
        with context.acting("task"):
            while not self.stopped.is_set():
                try:
                    close_old_connections()
                    beat(self.worker_id)
                    scheduler.tick()
                except Exception:
                    logger.exception("housekeeping failed; retrying next interval")
                self.stopped.wait(self.interval)
            connection.close()

    def stop(self) -> None:
        self.stopped.set()


def new_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
