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


@task()
def resync_clocks(ticket_ids: list[int]) -> int:
    """Recompute the clocks of these tickets from their history (after a profile switch moved
    them to other states); returns how many tickets were synced."""
    from steward.sla.services.clocks import sync_clocks
    from steward.tickets.models import Ticket, specific

    synced = 0
    with context.acting("task"):
        for ticket in Ticket.objects.filter(pk__in=ticket_ids).order_by("pk"):
            sync_clocks(specific(ticket))
            synced += 1
    return synced


scheduler.register(scheduler.Schedule(name="sla.sweep", cron="* * * * *", task=sweep))
