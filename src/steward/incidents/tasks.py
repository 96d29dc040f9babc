"""Background tasks of incident management and their schedule."""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

from steward.core import context, scheduler

logger = logging.getLogger("steward.tasks")


@task()
def close_resolved_incidents(now: str | None = None) -> int:
    """Close resolved incidents whose reopening window has ended (``now``: ISO time, tests)."""
    from steward.incidents import services

    at = datetime.fromisoformat(now) if now else None
    with context.acting("task"):
        closed = services.close_resolved(now=at)
    if closed:
        logger.info("closed %s resolved incidents", closed)
    return closed


scheduler.register(
    scheduler.Schedule(
        name="incidents.close_resolved_incidents",
        cron="*/15 * * * *",
        task=close_resolved_incidents,
    )
)
