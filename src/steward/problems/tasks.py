"""Background tasks of problem management and their schedule."""

from __future__ import annotations

import logging
from datetime import datetime

from django_tasks import task

from steward.core import context, scheduler

logger = logging.getLogger("steward.tasks")


@task()
def detect_trends(now: str | None = None) -> dict[str, object]:
    """Propose problems for clusters of recurring incidents (proactive problem management).

    Window, threshold and similarity come from ``STEWARD["PROBLEM_TREND_*"]``; re-running
    updates the open proposals instead of adding more (``now``: ISO time, tests).
    """
    from steward.problems.services import proposals

    at = datetime.fromisoformat(now) if now else None
    with context.acting("task"):
        outcome = proposals.detect_problems(actor=None, at=at)
    result = outcome.as_dict()
    logger.info(
        "trend detection: %s clusters, %s new, %s updated",
        result["clusters"],
        len(outcome.created),
        len(outcome.updated),
    )
    return result


# Hourly, off the hour: one grouping query over the window and a few hundred texts per group.
scheduler.register(
    scheduler.Schedule(name="problems.detect_trends", cron="23 * * * *", task=detect_trends)
)
