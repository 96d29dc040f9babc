"""Core background tasks and their schedule."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from steward.core import auditchain, scheduler

logger = logging.getLogger("steward.tasks")

FINISHED_RESULT_DAYS = 14


@task()
def prune_finished_task_results(days: int = FINISHED_RESULT_DAYS) -> int:
    """Delete finished task results and schedule ledger rows older than ``days``."""
    from django_tasks_db.models import DBTaskResult

    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = DBTaskResult.objects.finished().filter(finished_at__lt=cutoff).delete()
    deleted += scheduler.prune(keep_days=days)
    from steward.core.models import WorkerHeartbeat

    stale, _ = WorkerHeartbeat.objects.filter(seen_at__lt=cutoff).delete()
    logger.info("pruned %s finished task rows and %s stale heartbeats", deleted, stale)
    return deleted


@task()
def seal_audit_log() -> int:
    """Seal the audit entries written since the last run into the hash chain."""
    sealed = auditchain.seal_pending()
    if sealed:
        logger.info("sealed %s audit entries", sealed)
    return sealed


scheduler.register(
    scheduler.Schedule(name="core.seal_audit_log", cron="* * * * *", task=seal_audit_log)
)
scheduler.register(
    scheduler.Schedule(
        name="core.prune_finished_task_results",
        cron="17 3 * * *",
        task=prune_finished_task_results,
    )
)
