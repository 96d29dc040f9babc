"""Background task of e-mail in: poll every enabled mailbox, every minute."""

from __future__ import annotations

import logging

from django_tasks import task

from steward.core import context, scheduler

logger = logging.getLogger("steward.tasks")


@task()
def poll_mailboxes() -> int:
    """Fetch unseen mail from every enabled mailbox; returns how many messages were read."""
    from steward.servicedesk import imap

    with context.acting("task"):
        results = imap.poll_enabled()
    for result in results:
        if result.fetched or result.error:
            logger.info(
                "mailbox %s: %s fetched, %s processed, %s quarantined, %s duplicates %s",
                result.mailbox,
                result.fetched,
                result.processed,
                result.quarantined,
                result.duplicates,
                result.error,
            )
    return sum(result.fetched for result in results)


scheduler.register(
    scheduler.Schedule(name="servicedesk.poll_mailboxes", cron="* * * * *", task=poll_mailboxes)
)
