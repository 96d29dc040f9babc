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

from dataclasses import dataclass
from typing import Any

from django.db.models import BigIntegerField, CharField, OuterRef, Q, QuerySet
from django.db.models.functions import Cast

from steward.core import workflow
from steward.core.errors import RuleViolation
from steward.core.models import AuditEntry
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
