"""Background tasks of service level management and their schedule."""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

from steward.core import context, scheduler

logger = logging.getLogger("steward.tasks")


@task()
def sweep(now: str | None = None) -> dict[str, object]:
    """Act on the warning thresholds and breaches reached (``now``: ISO time, tests)."""
    from steward.sla import services

    at = datetime.fromisoformat(now) if now else None
    with context.acting("task"):
        result = services.sweep(at=at)
    return result.as_dict()


scheduler.register(scheduler.Schedule(name="sla.sweep", cron="* * * * *", task=sweep))
