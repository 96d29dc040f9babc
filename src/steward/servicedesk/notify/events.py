"""Who is told about which change: the audit listener that queues ticket notifications.

``core.audit`` calls :func:`on_audit_entry` after every entry, inside the business
transaction. Ticket entries map to events like this (see docs/operations/notifications.md):

================================  ==========  ===============================================
audit entry                       event       to
================================  ==========  ===============================================
``<kind>.created``                created     the requester
``<kind>.created``/``updated``/   assigned    the new assignee; with a new team and nobody
``transitioned`` changing                     assigned: the team's address, else its lead,
``assignee`` or ``team``                      else its active members
``ticket.commented`` (public)     commented   the requester when staff replied; the assignee
                                              (else the team, as above) when the requester
                                              did; and the watchers
``<kind>.transitioned`` into a    resolved    the requester and the watchers
state of category resolved
... of category closed            closed      the requester and the watchers
================================  ==========  ===============================================

Work notes (``ticket.work_noted``) never mail anybody. The person who acted is never told
about their own change. Entries written by a history import (source ``import``) mail nobody,
and nothing is queued while mail is off (``STEWARD_MAIL_ENABLED``). Incidents' own entries
(``incident.reassigned``/``escalated``/``routed``) repeat a change the ``incident.updated`` or
``incident.transitioned`` entry beside them already reports, so they add nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db import models, transaction

from steward.accounts.models import Person, Team
from steward.core import conf, context
from steward.core.models import AuditEntry
from steward.core.workflow import Category
from steward.servicedesk.models.outbound import NotificationEvent
from steward.servicedesk.notify import services
from steward.servicedesk.notify.services import Recipient
from steward.tickets.models import Comment, Ticket


@dataclass
class Notice:
    event: str
    recipients: list[Recipient]
    comment: Comment | None = field(default=None)


def _new_value(changes: dict[str, Any], name: str) -> Any:
    pair = changes.get(name)
    return pair[1] if isinstance(pair, list) and len(pair) == 2 else None


def _people(ids: Iterable[Any]) -> list[Recipient]:
    wanted = [pk for pk in ids if pk is not None]
    if not wanted:
        return []
    people = Person.objects.filter(pk__in=wanted, is_active=True).order_by("pk")
    return [Recipient.of(person) for person in people]


def team_recipients(team_id: Any) -> list[Recipient]:
    """A team's shared address if it has one, else its lead, else its active members."""
    team = Team.objects.filter(pk=team_id).select_related("lead").first()
    if team is None:
        return []
    if team.email:
        return [Recipient(name=team.name, address=team.email)]
    if team.lead is not None and team.lead.is_active:
        return [Recipient.of(team.lead)]
    return _people(team.memberships.values_list("person_id", flat=True))


def _owner(ticket: Ticket) -> list[Recipient]:
    """Whoever works on the ticket: the assignee, else its team."""
    if ticket.assignee_id is not None:
        return _people([ticket.assignee_id])
    if ticket.team_id is not None:
        return team_recipients(ticket.team_id)
    return []


def _watchers(ticket: Ticket) -> list[Recipient]:
    return _people(
        Person.objects.filter(watching__ticket_id=ticket.pk).values_list("pk", flat=True)
    )


def _assigned(changes: dict[str, Any], ticket: Ticket) -> Notice | None:
    if "assignee" not in changes and "team" not in changes:
        return None
    assignee = _new_value(changes, "assignee")
    if assignee is not None:
        return Notice(NotificationEvent.ASSIGNED, _people([assignee]))
    team = _new_value(changes, "team")
    if "team" in changes and team is not None and ticket.assignee_id is None:
        return Notice(NotificationEvent.ASSIGNED, team_recipients(team))
    return None


def notices_for(entry: AuditEntry, ticket: Ticket) -> list[Notice]:
    """The notifications one audit entry about ``ticket`` calls for (before leaving out the
    actor)."""
    model_name, _, verb = entry.action.partition(".")
    changes: dict[str, Any] = entry.changes or {}
    notices: list[Notice] = []
    own_entry = model_name == ticket._meta.model_name
    if own_entry and verb == "created":
        notices.append(Notice(NotificationEvent.CREATED, _people([ticket.requester_id])))
    if own_entry and verb in {"created", "updated", "transitioned"}:
        assigned = _assigned(changes, ticket)
        if assigned is not None:
            notices.append(assigned)
    if own_entry and verb == "transitioned" and "state" in changes:
        closing = {
            Category.RESOLVED: NotificationEvent.RESOLVED,
            Category.CLOSED: NotificationEvent.CLOSED,
        }
        event = closing.get(ticket.state_category)
        if event is not None:
            notices.append(Notice(event, _people([ticket.requester_id]) + _watchers(ticket)))
    comment_id = changes.get("comment")
    if entry.action == "ticket.commented" and changes.get("public") is True and comment_id:
        comment = (
            Comment.objects.filter(pk=int(comment_id), is_public=True)
            .select_related("author")
            .first()
        )
        if comment is not None:
            to = (
                _owner(ticket)
                if comment.author_id == ticket.requester_id
                else _people([ticket.requester_id])
            )
            notices.append(Notice(NotificationEvent.COMMENTED, to + _watchers(ticket), comment))
    return notices


def on_audit_entry(entry: AuditEntry, obj: models.Model) -> None:
    """Queue the notifications ``entry`` calls for; send them once the transaction commits."""
    if not isinstance(obj, Ticket) or not conf.get("MAIL_ENABLED"):
        return
    if context.current().source == "import":
        return
    notices = notices_for(entry, obj)
    if not notices:
        return
    actor_id = entry.actor_id
    actor = Person.objects.filter(pk=cast(int, actor_id)).first() if actor_id else None
    actor_name = actor.full_name if actor is not None else conf.get("SITE_NAME")
    actor_address = actor.email.lower() if actor is not None else None
    queued: list[int] = []
    for notice in notices:
        seen: set[str] = set()
        for recipient in notice.recipients:
            address = recipient.address.lower()
            acted = recipient.person is not None and recipient.person.pk == actor_id
            if acted or address == actor_address or address in seen:
                continue
            seen.add(address)
            row = services.queue_notification(
                ticket=obj,
                event=notice.event,
                recipient=recipient,
                key=f"audit:{entry.pk}",
                actor_name=actor_name,
                audit_entry_id=entry.pk,
                comment=notice.comment,
            )
            if row is not None:
                queued.append(row.pk)
    if queued:
        from steward.servicedesk.notify import tasks

        transaction.on_commit(lambda: tasks.enqueue(queued), robust=True)
