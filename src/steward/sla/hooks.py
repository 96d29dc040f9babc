"""How ticket changes reach the clocks: the ``sla.*`` workflow effects and an audit listener.

Transitions that name ``sla.start``, ``sla.pause``, ``sla.resume`` or ``sla.stop`` drive the
clocks through those effects. Every other ticket change is audited, so the listener catches
the rest: the opening (clocks attach), a change of a selecting field (targets change, by the
agreement's policy), the first response, and transitions that name no ``sla`` effect.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models

from steward.core import workflow
from steward.core.models import AuditEntry
from steward.sla.services.clocks import SELECTING
from steward.tickets.models import Ticket

SLA_EFFECTS = ("sla.start", "sla.pause", "sla.resume", "sla.stop")


def drive_clocks(ticket: Any, *, actor: Any = None, **kwargs: Any) -> None:
    """The effect behind every ``sla.*`` name: the clocks follow the ticket's new state."""
    from steward.sla.services import sync_clocks

    sync_clocks(ticket, actor=actor)


def _effects_will_sync(ticket: Ticket, changes: dict[str, Any]) -> bool:
    pair = changes.get("state")
    if not (isinstance(pair, list) and len(pair) == 2):
        return False
    try:
        chosen = workflow.workflow_for(ticket.kind).find(pair[0], pair[1])
    except LookupError:
        return False
    return chosen is not None and any(name in SLA_EFFECTS for name in chosen.effects)


#: What a clock reads of a ticket's history (``services.clocks.history_of``): its opening,
#: changes of state (and of the reason a ticket waits, for kinds that have one) and of the
#: fields that select targets, and the first response (which only a public reply sets).
CLOCK_INPUTS = ("state", *SELECTING)


def _may_move_clocks(entry: AuditEntry, obj: models.Model) -> bool:
    if entry.action.endswith(".created") or entry.action == "ticket.commented":
        return True
    changes = entry.changes or {}
    inputs = (*CLOCK_INPUTS, getattr(type(obj), "state_reason_field", "") or "state")
    return any(isinstance(changes.get(name), list) and len(changes[name]) == 2 for name in inputs)


def on_audit_entry(entry: AuditEntry, obj: models.Model) -> None:
    """Audit listener: sync the clocks of a changed ticket (unless an effect will, or the
    entry changes nothing a clock reads, such as a routing note or a work note)."""
    if not isinstance(obj, Ticket) or not _may_move_clocks(entry, obj):
        return
    _, _, verb = entry.action.partition(".")
    if verb == "transitioned" and _effects_will_sync(obj, entry.changes or {}):
        return
    from steward.sla.services import sync_clocks

    sync_clocks(obj, actor=entry.actor)


#: Tickets per background task when a profile switch moved many.
RESYNC_BATCH = 500


def on_remap(model: type[models.Model], ids: list[Any], old: str, new: str) -> None:
    """A profile switch moved records to another state: once it commits, recompute the
    clocks still open on those that are tickets, in the background (a switch may move many)."""
    if not issubclass(model, Ticket) or not ids:
        return
    from django.db import transaction

    from steward.sla.choices import ClockState
    from steward.sla.models import SlaClock
    from steward.sla.tasks import resync_clocks

    tickets = sorted(
        set(
            SlaClock.objects.filter(ticket_id__in=ids)
            .exclude(state__in=(ClockState.MET, ClockState.BREACHED, ClockState.CANCELLED))
            .values_list("ticket_id", flat=True)
        )
    )

    def enqueue(batch: list[int]) -> Callable[[], None]:
        def queue() -> None:
            resync_clocks.enqueue(ticket_ids=batch)

        return queue

    for start in range(0, len(tickets), RESYNC_BATCH):
        transaction.on_commit(enqueue(tickets[start : start + RESYNC_BATCH]), robust=True)
