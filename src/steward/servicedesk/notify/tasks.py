"""Background tasks sending notifications, and the sweep that picks up what they missed."""

from __future__ import annotations

import logging

from django_tasks import task

from steward.core import context, scheduler

logger = logging.getLogger("steward.tasks")


@task()
def send_outbound_emails(ids: list[int]) -> int:
    """Send the notifications ``ids`` (queued by one transaction) if still due; returns how
    many went out. Safe to run twice: a row is claimed before it is sent."""
    from steward.servicedesk.notify import sending

    with context.acting("task"):
        result = sending.send_due(ids=[int(pk) for pk in ids])
    return result.sent


@task()
def send_due_outbound_emails() -> int:
    """Send every notification that is due: retries after a back-off, and rows whose
    after-commit enqueue was lost."""
    from steward.servicedesk.notify import sending

    with context.acting("task"):
        result = sending.send_due()
    if result.sent or result.retrying or result.failed:
        logger.info(
            "notifications: %s sent, %s to retry, %s failed",
            result.sent,
            result.retrying,
            result.failed,
        )
    return result.sent


def enqueue(ids: list[int]) -> None:
    """Called after commit; if enqueueing fails the sweep sends them within a minute."""
    send_outbound_emails.enqueue(ids=list(ids))


scheduler.register(
    scheduler.Schedule(
        name="servicedesk.send_due_outbound_emails",
        cron="* * * * *",
        task=send_due_outbound_emails,
    )
)
