"""Factories for governance: KPI readers, and incident histories at chosen times.

``make_history`` writes an incident and its audit entries the way the importers write
imported history (the shapes native services write, at the original timestamps), so the
reports can be tested over days and weeks without waiting for them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_person
from steward.core.models import AuditEntry
from steward.core.workflow import workflow_for
from steward.incidents.models import Incident

_seq = itertools.count(1)


def make_kpi_reader(**overrides: Any) -> Person:
    """A person whose role holds ``governance.view_kpis`` (an incident manager)."""
    return make_person(roles=[RoleCode.INCIDENT_MANAGER], **overrides)


def make_history(
    *,
    opened: datetime,
    moves: Iterable[tuple[datetime, str]] = (),
    hand_offs: Iterable[tuple[datetime, Any, Any]] = (),
    actor: Person | None = None,
    **values: Any,
) -> Incident:
    """An incident opened at ``opened`` that went to each ``(when, state)`` of ``moves`` in
    turn, and was handed from team to team at each ``(when, from_team, to_team)``."""
    flow = workflow_for(Incident, "full")
    n = next(_seq)
    requester = values.pop("requester", None) or make_person()
    incident = Incident(
        kind="incidents.incident",
        number=f"HIS{n:06d}",
        title=values.pop("title", f"History {n}"),
        requester=requester,
        organisation=requester.organisation,
        state="new",
        state_category="new",
        opened_at=opened,
        updated_at=opened,
        **values,
    )
    incident.save()
    label = actor.email if actor else "importer"
    entries = [
        AuditEntry(
            created_at=opened,
            actor=actor,
            actor_label=label,
            source="import",
            action="incident.created",
            object_type="incidents.incident",
            object_id=str(incident.pk),
            object_repr=incident.number,
            changes={"state": [None, "new"], "priority": [None, incident.priority]},
        )
    ]
    events: list[tuple[datetime, str, Any]] = [(when, "move", state) for when, state in moves] + [
        (when, "hand", (a, b)) for when, a, b in hand_offs
    ]
    state = "new"
    for when, what, detail in sorted(events, key=lambda e: e[0]):
        if what == "move":
            changes: dict[str, Any] = {"state": [state, detail]}
            declared = flow.state(detail)
            assert declared is not None, detail
            incident.state, incident.state_category = detail, declared.category
            if declared.category == "resolved":
                incident.resolved_at = when
            elif declared.category == "closed":
                incident.closed_at = when
                incident.resolved_at = incident.resolved_at or when
            else:
                incident.resolved_at = incident.closed_at = None
            state = detail
            action = "incident.transitioned"
        else:
            before, after = detail
            changes = {"team": [getattr(before, "pk", None), getattr(after, "pk", None)]}
            incident.team = after
            action = "incident.updated"
        entries.append(
            AuditEntry(
                created_at=when,
                actor=actor,
                actor_label=label,
                source="import",
                action=action,
                object_type="incidents.incident",
                object_id=str(incident.pk),
                object_repr=incident.number,
                changes=changes,
            )
        )
    incident.save()
    AuditEntry.objects.bulk_create(entries)
    return incident
