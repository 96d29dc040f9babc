"""A case's life, replayed in memory as the services would have written it.

A :class:`Draft` holds the ticket as an unsaved model instance and walks it through the
source's events with the same helpers the services use (``workflow.apply_state`` for a
state's category and stamps, ``audit.snapshot``/``audit.diff`` for entries), so each step
produces exactly the audit entry a native call produces:

==========================  ===========================  ===============================
native call                 audit action                 changes
==========================  ===========================  ===============================
``create_ticket``           ``<kind>.created``           ``AUDITED_FIELDS`` from nothing
``workflow.transition``     ``<kind>.transitioned``      state, fields set, stamps
``update_ticket``           ``<kind>.updated``           the ticket fields that changed
``incidents.reassign``      ``incident.updated`` then    team, assignee (and the count)
                            ``incident.reassigned``
``incidents.update_``       ``incident.updated``         category, subcategory
``incident``
==========================  ===========================  ===============================

Nothing here touches the database; ``writer`` saves drafts in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from steward.core import audit, workflow
from steward.core.workflow import Category
from steward.tickets.models import Ticket
from steward.tickets.services import AUDITED_FIELDS

#: The ticket fields a plain update may change (``update_ticket``'s audited ones, less state).
UPDATABLE = tuple(name for name in AUDITED_FIELDS if name not in ("number", "state"))


@dataclass
class Entry:
    at: datetime
    actor: int | None
    action: str
    changes: dict[str, Any]


@dataclass
class Draft:
    """One case on its way to becoming a ticket of ``obj``'s kind."""

    obj: Ticket
    flow: workflow.Workflow
    external_id: str
    line: int
    wanted_number: str = ""
    entries: list[Entry] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    #: Steps the active workflow would not offer (the source's process was not ours).
    off_workflow: int = 0
    after_save: list[Any] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.obj._meta.model_name)

    @property
    def is_incident(self) -> bool:
        return self.obj._meta.label_lower == "incidents.incident"

    # --- the steps ----------------------------------------------------------------------------

    def open(self, *, at: datetime, actor: int | None, state: str, **values: Any) -> None:
        """The creation: the ticket as it was first recorded, in ``state``'s category."""
        obj = self.obj
        obj.kind = obj._meta.label_lower
        for name, value in values.items():
            setattr(obj, name, value)
        declared = self.flow.state(state)
        if declared is None:
            raise ValueError(f"unknown state {state!r}")
        obj.opened_at = obj.updated_at = at
        workflow.apply_state(obj, declared, now=at)
        self.entries.append(
            Entry(
                at,
                actor,
                f"{self.kind}.created",
                audit.diff({}, audit.snapshot(obj, AUDITED_FIELDS)),
            )
        )

    def move(
        self,
        *,
        at: datetime,
        actor: int | None,
        state: str,
        values: dict[str, Any] | None = None,
        stamp: datetime | None = None,
    ) -> None:
        """A transition to ``state`` at ``at`` (``stamp``: the source's own resolved/closed
        instant, when it records one)."""
        obj = self.obj
        values = dict(values or {})
        model = obj._meta.model
        flow = self.flow
        current = str(obj.state)
        target = flow.state(state)
        if target is None:
            raise ValueError(f"unknown state {state!r}")
        chosen = flow.find(current, state)
        if chosen is None:
            self.off_workflow += 1
        tracked = ("state", *values, *workflow.STAMPS.values())
        tracked = tuple(n for n in dict.fromkeys(tracked) if workflow.has_field(model, n))
        before = audit.snapshot(obj, tracked)
        for name, value in values.items():
            setattr(obj, name, value)
        workflow.apply_state(obj, target, now=stamp or at)
        obj.version += 1
        obj.updated_at = at
        if (
            self.is_incident
            and before["state"] is not None
            and current_category(flow, current) in (Category.RESOLVED, Category.CLOSED)
            and target.category in Category.OPEN
        ):
            obj.reopen_count += 1  # type: ignore[attr-defined]  # incidents.count_reopen
        if self.is_incident and target.category != Category.WAITING and "hold_reason" not in values:
            obj.hold_reason = ""  # type: ignore[attr-defined]  # incidents.clear_hold_reason
        self.entries.append(
            Entry(
                at,
                actor,
                f"{self.kind}.transitioned",
                audit.diff(before, audit.snapshot(obj, tracked)),
            )
        )

    def update(self, *, at: datetime, actor: int | None, **values: Any) -> None:
        """A change of ticket fields (``update_ticket``); nothing written if nothing changed."""
        obj = self.obj
        names = tuple(values)
        before = audit.snapshot(obj, names)
        for name, value in values.items():
            field = obj._meta.get_field(name)
            setattr(obj, getattr(field, "attname", name), value)  # relations: by id
        changed = audit.diff(before, audit.snapshot(obj, names))
        if not changed:
            return
        obj.version += 1
        obj.updated_at = at
        self.entries.append(Entry(at, actor, f"{self.kind}.updated", changed))

    def reassign(
        self, *, at: datetime, actor: int | None, team: int | None, assignee: int | None
    ) -> None:
        """A change of hands (``incidents.reassign`` for incidents, ``update_ticket`` else)."""
        obj = self.obj
        if obj.team_id == team and obj.assignee_id == assignee:
            return
        had_owner = obj.team_id is not None or obj.assignee_id is not None
        before = {"team": obj.team_id, "assignee": obj.assignee_id}
        self.update(at=at, actor=actor, team=team, assignee=assignee)
        if not self.is_incident:
            return
        count = int(obj.reassignment_count)  # type: ignore[attr-defined]
        if had_owner:
            obj.reassignment_count = count + 1  # type: ignore[attr-defined]
        self.entries.append(
            Entry(
                at,
                actor,
                "incident.reassigned",
                {
                    "team": [before["team"], obj.team_id],
                    "assignee": [before["assignee"], obj.assignee_id],
                    "reassignment_count": [count, obj.reassignment_count],  # type: ignore[attr-defined]
                },
            )
        )


def current_category(flow: workflow.Workflow, code: str) -> str | None:
    state = flow.state(code)
    return state.category if state else None
