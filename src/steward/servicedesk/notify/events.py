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
from typing import Any

from django.db import models, transaction

from steward.accounts.models import Person, Team
from steward.core import conf, context, txcache
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


def _party(ticket: Ticket, name: str) -> list[Recipient]:
    """The ticket's requester or assignee, from memory when the ticket holds them loaded."""
    field = ticket._meta.get_field(name)
    if field.is_cached(ticket):  # type: ignore[union-attr]
        person = getattr(ticket, name)
        return [Recipient.of(person)] if person is not None and person.is_active else []
    return _people([getattr(ticket, f"{name}_id")])


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
        to = _party(ticket, "assignee") if assignee == ticket.assignee_id else _people([assignee])
        return Notice(NotificationEvent.ASSIGNED, to)
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
        notices.append(Notice(NotificationEvent.CREATED, _party(ticket, "requester")))
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
    if entry.action == "change.approval_requested":
        approvers = changes.get("approvers") or []
        notices.append(Notice(NotificationEvent.APPROVAL_REQUESTED, _people(approvers)))
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
    actor = entry.actor if actor_id else None  # loaded: audit.record was given the person
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
                key_is_new=True,  # the entry was written just now: nothing used its key yet
            )
            if row is not None:
                queued.append(row.pk)
    if queued:
        _send_after_commit(queued)


def _send_after_commit(ids: list[int]) -> None:
    """One sending task for everything a transaction queued (a creation that routes the
    ticket queues the requester's and the assignee's e-mails from two entries).

    Each call registers its own after-commit hook, so a hook lost with a rolled-back
    savepoint loses nothing; the first hook to run enqueues every id gathered, the others
    find nothing left. (Ids of rows rolled back with a savepoint are skipped by the sender.)
    """
    from steward.servicedesk.notify import tasks

    pending: list[int] = txcache.memo(PENDING_KEY, list)
    pending.extend(ids)

    def enqueue() -> None:
        if pending:
            batch = list(pending)
            pending.clear()
            tasks.enqueue(batch)

    transaction.on_commit(enqueue, robust=True)


PENDING_KEY = "servicedesk.notify.pending"
