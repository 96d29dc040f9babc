"""The ``notify`` action of service level targets: mail the people who must act.

Registered with ``sla.actions`` at start-up. A warning or a breach mails whoever works on the
ticket (the assignee, else the team), the team's lead and the service's owner, once per clock
and threshold (the idempotency key), after the sweep's transaction commits.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from steward.core import conf
from steward.servicedesk.models.outbound import NotificationEvent
from steward.servicedesk.notify import services
from steward.servicedesk.notify.events import _owner, _people


def recipients(ticket: Any) -> list[services.Recipient]:
    found = list(_owner(ticket))
    lead = ticket.team.lead_id if ticket.team_id else None
    owner = ticket.service.owner_id if ticket.service_id else None
    found += _people([lead, owner])
    unique: dict[str, services.Recipient] = {}
    for recipient in found:
        unique.setdefault(recipient.address.lower(), recipient)
    return list(unique.values())


def notify(*, clock: Any, ticket: Any, threshold: int) -> str:
    """Queue the warning (or breach) e-mail; says to how many people."""
    if not conf.get("MAIL_ENABLED"):
        return "mail is off"
    event = NotificationEvent.SLA_BREACH if threshold >= 100 else NotificationEvent.SLA_WARNING
    queued = []
    for recipient in recipients(ticket):
        row = services.queue_notification(
            ticket=ticket,
            event=event,
            recipient=recipient,
            key=f"slaclock:{clock.pk}:{threshold}",
            actor_name=conf.get("SITE_NAME"),
        )
        if row is not None:
            queued.append(row.pk)
    if queued:
        from steward.servicedesk.notify import tasks

        transaction.on_commit(lambda: tasks.enqueue(queued), robust=True)
    return f"{len(queued)} notified"
