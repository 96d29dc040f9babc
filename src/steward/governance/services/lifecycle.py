"""What the audit log says about a ticket kind's life: the entries that matter, by condition.

Every ticket kind writes the same shapes (``tickets.services`` and ``core.workflow``), and the
importers write imported history in those shapes too:

* ``<model>.created``: ``changes["state"] == [None, <first state>]``;
* ``<model>.transitioned``: ``changes["state"] == [<from>, <to>]`` (plus the fields set with
  the transition, ``team`` or ``assignee`` among them);
* ``<model>.updated``: ``changes[<field>] == [<before>, <after>]`` for each changed field.

The KPI report, the variant view and the event-log exports read them through this module, so
they agree on what a reopening or a hand-off is.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import BigIntegerField, CharField, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from steward.core import workflow
from steward.core.errors import RuleViolation
from steward.core.models import AuditEntry
from steward.core.policy import scope
from steward.tickets.models import Ticket, ticket_kinds


@dataclass(frozen=True)
class Kind:
    """A ticket kind as the reports see it: its model, its audit names, its state codes."""

    model: type[Ticket]

    @property
    def label(self) -> str:
        """``incidents.incident``: the ``Ticket.kind`` value and the audit ``object_type``."""
        return str(self.model._meta.label_lower)

    @property
    def name(self) -> str:
        return str(self.model._meta.model_name)

    @property
    def created(self) -> str:
        return f"{self.name}.created"

    @property
    def transitioned(self) -> str:
        return f"{self.name}.transitioned"

    @property
    def updated(self) -> str:
        return f"{self.name}.updated"

    def codes(self, categories: tuple[str, ...]) -> list[str]:
        """The state codes that are in one of ``categories`` in any profile's workflow."""
        found: set[str] = set()
        for declared in workflow.workflows_for(self.model).values():
            if declared is not None:
                found |= {s.code for s in declared.states if s.category in categories}
        return sorted(found)

    @property
    def open_codes(self) -> list[str]:
        return self.codes(workflow.Category.OPEN)

    @property
    def done_codes(self) -> list[str]:
        """Resolved or closed: the states a reopening leaves."""
        return self.codes((workflow.Category.RESOLVED, workflow.Category.CLOSED))

    def has_field(self, name: str) -> bool:
        return workflow.has_field(self.model, name)


def kinds() -> dict[str, Kind]:
    """Every ticket kind with a workflow, by its short name (``incident``, ``problem``)."""
    found = {}
    for label, model in ticket_kinds().items():
        if model is Ticket or label not in workflow.registered_models():
            continue
        found[str(model._meta.model_name)] = Kind(model)
    return found


def kind_named(name: str) -> Kind:
    """The kind called ``name``; a ``RuleViolation`` naming the known ones otherwise."""
    known = kinds()
    if name not in known:
        raise RuleViolation({"kind": f"Unknown kind {name!r}; one of: {', '.join(sorted(known))}."})
    return known[name]


def entries_of(kind: Kind, *, outer: str = "pk") -> QuerySet[AuditEntry]:
    """Audit entries of the ticket in the outer query's ``outer`` column (for ``Exists`` and
    counting subqueries; the ``object_type``/``object_id`` index answers them)."""
    return AuditEntry.objects.filter(
        object_type=kind.label, object_id=Cast(OuterRef(outer), output_field=CharField())
    ).order_by()


def reopening(kind: Kind) -> Q:
    """An entry moving the ticket from a resolved or closed state back to an open one."""
    return Q(
        action=kind.transitioned,
        changes__state__0__in=kind.done_codes,
        changes__state__1__in=kind.open_codes,
    )


def hand_off(kind: Kind) -> Q:
    """An entry changing the team or the assignee away from somebody (a first assignment,
    from nobody, is no hand-off). Only ``updated`` and ``transitioned`` entries count: the
    summary entries some kinds add (``incident.reassigned``) repeat the same change."""
    away_from_team = Q(changes__has_key="team") & ~Q(changes__team__0=None)
    away_from_person = Q(changes__has_key="assignee") & ~Q(changes__assignee__0=None)
    return Q(action__in=(kind.updated, kind.transitioned)) & (away_from_team | away_from_person)


def entering_open(kind: Kind) -> Q:
    """An entry after which the ticket is open and before which it was not (or did not exist)."""
    return Q(action=kind.created, changes__state__1__in=kind.open_codes) | Q(
        action=kind.transitioned,
        changes__state__0__in=kind.done_codes,
        changes__state__1__in=kind.open_codes,
    )


def leaving_open(kind: Kind) -> Q:
    """An entry after which the ticket is resolved or closed and before which it was open."""
    return Q(
        action=kind.transitioned,
        changes__state__0__in=kind.open_codes,
        changes__state__1__in=kind.done_codes,
    )


def ticket_entries(kind: Kind, tickets: QuerySet[Any]) -> QuerySet[AuditEntry]:
    """The entries of ``tickets`` (a query of ``kind``'s model), with ``ticket_id`` as a number."""
    return (
        AuditEntry.objects.filter(object_type=kind.label)
        .annotate(ticket_id=Cast("object_id", output_field=BigIntegerField()))
        .filter(ticket_id__in=tickets.values("pk"))
        .order_by()
    )


# --- cases: one ticket's life, read in chunks ---------------------------------------------------

#: Entries on the shared ticket row (comments are written on ``tickets.ticket`` or the kind).
TICKET_LABEL = "tickets.ticket"
COMMENT_ACTIVITIES = {"ticket.commented": "Reply", "ticket.work_noted": "Work note"}
#: How many tickets are read (with their entries) at a time: memory stays bounded.
CHUNK = 500


@dataclass(frozen=True)
class Event:
    """One step of a case: what happened (``activity``), when, by whom, with what details."""

    at: datetime
    activity: str
    resource: str
    attributes: dict[str, Any]
    entry_id: int


@dataclass(frozen=True)
class Case:
    """One ticket and its events in order; ``states`` is its path of states."""

    ticket_id: int
    number: str
    opened_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    priority: int
    state: str
    events: list[Event]
    states: list[str]
    moves: list[tuple[str, str]]

    @property
    def ended_at(self) -> datetime | None:
        return self.closed_at or self.resolved_at


def _events_of(kind: Kind, entry: dict[str, Any], labels: dict[str, str]) -> list[Event]:
    """The events one audit entry stands for (none for entries that are no lifecycle step)."""
    changes = entry["changes"] or {}
    action = entry["action"]
    common = {"at": entry["created_at"], "resource": entry["actor_label"] or "system"}
    found: list[Event] = []
    state = changes.get("state")
    if action == kind.created:
        first = state[1] if isinstance(state, list) and len(state) == 2 else None
        attributes = {"state": first, "priority": (changes.get("priority") or [None, None])[1]}
        found.append(Event(activity="Open", attributes=attributes, entry_id=entry["id"], **common))
    elif action == kind.transitioned and isinstance(state, list) and len(state) == 2:
        found.append(
            Event(
                activity=labels.get(state[1], str(state[1])),
                attributes={"from_state": state[0], "to_state": state[1]},
                entry_id=entry["id"],
                **common,
            )
        )
    if action in (kind.updated, kind.transitioned):
        hands = {name: changes[name] for name in ("team", "assignee") if name in changes}
        if hands:
            was_held = any(isinstance(v, list) and v[0] is not None for v in hands.values())
            attributes = {
                f"{name}_{i}": value[j]
                for name, value in hands.items()
                for i, j in (("from", 0), ("to", 1))
            }
            found.append(
                Event(
                    activity="Reassign" if was_held else "Assign",
                    attributes=attributes,
                    entry_id=entry["id"],
                    **common,
                )
            )
        if "priority" in changes and action == kind.updated:
            before, after = changes["priority"]
            found.append(
                Event(
                    activity="Change priority",
                    attributes={"priority_from": before, "priority_to": after},
                    entry_id=entry["id"],
                    **common,
                )
            )
    if action in COMMENT_ACTIVITIES:
        found.append(
            Event(
                activity=COMMENT_ACTIVITIES[action],
                attributes={"public": bool(changes.get("public", action == "ticket.commented"))},
                entry_id=entry["id"],
                **common,
            )
        )
    return found


def cases(kind: Kind, tickets: QuerySet[Any], *, chunk: int = CHUNK) -> Iterator[Case]:
    """The cases of ``tickets`` (a query of ``kind``'s model) in ticket order, ``chunk``
    tickets and their entries at a time (two queries per chunk, whatever the history)."""
    labels = workflow.state_labels()
    columns = ("pk", "number", "opened_at", "resolved_at", "closed_at", "priority", "state")
    last = 0
    while True:
        rows = list(tickets.filter(pk__gt=last).order_by("pk").values(*columns)[:chunk])
        if not rows:
            return
        last = rows[-1]["pk"]
        by_id: dict[str, list[dict[str, Any]]] = {str(row["pk"]): [] for row in rows}
        entries = (
            AuditEntry.objects.filter(
                object_type__in=(kind.label, TICKET_LABEL), object_id__in=list(by_id)
            )
            .order_by("created_at", "id")
            .values("id", "object_id", "created_at", "actor_label", "action", "changes")
        )
        for found in entries:
            by_id[found["object_id"]].append(dict(found))
        for row in rows:
            events: list[Event] = []
            states: list[str] = []
            moves: list[tuple[str, str]] = []
            for entry in by_id[str(row["pk"])]:
                events += _events_of(kind, entry, labels)
                state = (entry["changes"] or {}).get("state")
                if entry["action"] == kind.created and isinstance(state, list):
                    states.append(str(state[1]))
                elif entry["action"] == kind.transitioned and isinstance(state, list):
                    if not states:
                        states.append(str(state[0]))
                    states.append(str(state[1]))
                    moves.append((str(state[0]), str(state[1])))
            yield Case(
                ticket_id=row["pk"],
                number=row["number"],
                opened_at=row["opened_at"],
                resolved_at=row["resolved_at"],
                closed_at=row["closed_at"],
                priority=row["priority"],
                state=row["state"],
                events=events,
                states=states,
                moves=moves,
            )


def opened_between(kind: Kind, *, actor: Any, since: datetime, until: datetime) -> QuerySet[Any]:
    """The tickets of ``kind`` opened in ``[since, until)`` that ``actor`` may see."""
    tickets: QuerySet[Any] = kind.model._default_manager.filter(
        opened_at__gte=since, opened_at__lt=until
    )
    if actor is not None:
        tickets = scope(tickets, actor)
    return tickets
