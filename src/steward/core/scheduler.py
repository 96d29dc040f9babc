"""The periodic schedule: cron expressions for tasks, enqueued once per slot cluster-wide.

Every worker runs ``tick`` every few seconds. For each schedule whose latest slot has
arrived it inserts a ``ScheduledRun(name, slot)`` row; the unique constraint lets exactly one
worker win, and only the winner enqueues the task. Slots missed while no worker ran are
collapsed: the most recent one runs once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cronsim import CronSim
from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.core.models import ScheduledRun

logger = logging.getLogger("steward.scheduler")


@dataclass(frozen=True)
class Schedule:
    """Run ``task`` (a django-tasks Task) whenever ``cron`` (UTC) fires."""

    name: str
    cron: str
    task: Any
    kwargs: dict[str, Any] = field(default_factory=dict)

    def latest_slot(self, now: datetime) -> datetime:
        """The most recent time at or before ``now`` this schedule fired."""
        # Reverse iteration yields slots strictly before its start, so start just after the
        # minute ``now`` is in.
        start = now.replace(second=0, microsecond=0) + timedelta(seconds=1)
        return next(CronSim(self.cron, start, reverse=True))


_schedules: dict[str, Schedule] = {}


def register(schedule: Schedule) -> None:
    CronSim(schedule.cron, timezone.now())  # validates the expression now, not at 3am
    _schedules[schedule.name] = schedule


def schedules() -> list[Schedule]:
    return sorted(_schedules.values(), key=lambda s: s.name)


def tick(now: datetime | None = None) -> list[str]:
    """Enqueue every schedule whose current slot nobody has enqueued yet; returns names."""
    now = now or timezone.now()
    enqueued: list[str] = []
    for schedule in schedules():
        slot = schedule.latest_slot(now)
        try:
            with transaction.atomic():
                run = ScheduledRun.objects.create(name=schedule.name, slot=slot)
                result = schedule.task.enqueue(**schedule.kwargs)
                run.task_result_id = str(result.id)
                run.save(update_fields=["task_result_id"])
        except IntegrityError:
            continue  # another worker got this slot
        enqueued.append(schedule.name)
        logger.info("enqueued %s for %s", schedule.name, slot.isoformat())
    return enqueued


def prune(keep_days: int = 30) -> int:
    cutoff = timezone.now() - timedelta(days=keep_days)
    deleted, _ = ScheduledRun.objects.filter(slot__lt=cutoff).delete()
    return deleted
