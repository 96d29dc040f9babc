"""The life of a plain ticket (a task), per process profile.

Later ticket kinds declare their own in their app's ``workflows.py``. Effects named here
(``sla.*``) are registered by the SLA app; guards by this app (``apps.py``).
"""

from __future__ import annotations

from steward.core.workflow import Category, State, Transition, Workflow
from steward.tickets.choices import TicketState as S

NEW = State(S.NEW, S.NEW.label, Category.NEW)
ASSIGNED = State(S.ASSIGNED, S.ASSIGNED.label, Category.NEW)
IN_PROGRESS = State(S.IN_PROGRESS, S.IN_PROGRESS.label, Category.ACTIVE)
ON_HOLD = State(S.ON_HOLD, S.ON_HOLD.label, Category.WAITING)
RESOLVED = State(S.RESOLVED, S.RESOLVED.label, Category.RESOLVED)
CLOSED = State(S.CLOSED, S.CLOSED.label, Category.CLOSED)
CANCELLED = State(S.CANCELLED, S.CANCELLED.label, Category.CLOSED)

RESOLVE_GUARDS = ("tickets.children_resolved",)

FULL = Workflow(
    states=(NEW, ASSIGNED, IN_PROGRESS, ON_HOLD, RESOLVED, CLOSED, CANCELLED),
    initial=S.NEW,
    transitions=(
        Transition((S.NEW,), S.ASSIGNED, "Assign", requires=("team",), fields=("team", "assignee")),
        Transition(
            (S.NEW, S.ASSIGNED, S.ON_HOLD),
            S.IN_PROGRESS,
            "Start work",
            requires=("assignee",),
            fields=("assignee",),
            effects=("sla.resume",),
        ),
        Transition((S.ASSIGNED, S.IN_PROGRESS), S.ON_HOLD, "Put on hold", effects=("sla.pause",)),
        Transition(
            (S.ASSIGNED, S.IN_PROGRESS),
            S.RESOLVED,
            "Resolve",
            requires=("resolution",),
            fields=("resolution",),
            guards=RESOLVE_GUARDS,
            effects=("sla.stop",),
        ),
        Transition((S.RESOLVED,), S.IN_PROGRESS, "Reopen", effects=("sla.resume",)),
        Transition((S.RESOLVED,), S.CLOSED, "Close"),
        Transition(
            (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD),
            S.CANCELLED,
            "Cancel",
            requires=("resolution",),
            fields=("resolution",),
            effects=("sla.stop",),
        ),
    ),
)

LITE = Workflow(
    states=(NEW, IN_PROGRESS, ON_HOLD, RESOLVED, CLOSED, CANCELLED),
    initial=S.NEW,
    transitions=(
        Transition(
            (S.NEW, S.ON_HOLD),
            S.IN_PROGRESS,
            "Start work",
            requires=("assignee",),
            fields=("assignee", "team"),
            effects=("sla.resume",),
        ),
        Transition((S.IN_PROGRESS,), S.ON_HOLD, "Put on hold", effects=("sla.pause",)),
        Transition(
            (S.NEW, S.IN_PROGRESS),
            S.RESOLVED,
            "Resolve",
            requires=("resolution",),
            fields=("resolution",),
            guards=RESOLVE_GUARDS,
            effects=("sla.stop",),
        ),
        Transition((S.RESOLVED,), S.IN_PROGRESS, "Reopen", effects=("sla.resume",)),
        Transition((S.RESOLVED,), S.CLOSED, "Close"),
        Transition(
            (S.NEW, S.IN_PROGRESS, S.ON_HOLD),
            S.CANCELLED,
            "Cancel",
            requires=("resolution",),
            fields=("resolution",),
            effects=("sla.stop",),
        ),
    ),
    remap={S.ASSIGNED: S.NEW},
)

FITS = Workflow(
    states=(NEW, IN_PROGRESS, RESOLVED, CLOSED),
    initial=S.NEW,
    transitions=(
        Transition(
            (S.NEW,), S.IN_PROGRESS, "Start work", requires=("assignee",), fields=("assignee",)
        ),
        Transition(
            (S.NEW, S.IN_PROGRESS),
            S.RESOLVED,
            "Resolve",
            requires=("resolution",),
            fields=("resolution",),
            guards=RESOLVE_GUARDS,
            effects=("sla.stop",),
        ),
        Transition((S.RESOLVED,), S.IN_PROGRESS, "Reopen", effects=("sla.resume",)),
        Transition((S.RESOLVED,), S.CLOSED, "Close"),
    ),
    remap={S.ASSIGNED: S.NEW, S.ON_HOLD: S.IN_PROGRESS, S.CANCELLED: S.CLOSED},
)

CORE = Workflow(
    states=(NEW, IN_PROGRESS, CLOSED),
    initial=S.NEW,
    transitions=(
        Transition((S.NEW,), S.IN_PROGRESS, "Start work", fields=("assignee",)),
        Transition(
            (S.NEW, S.IN_PROGRESS),
            S.CLOSED,
            "Close",
            requires=("resolution",),
            fields=("resolution",),
            guards=RESOLVE_GUARDS,
            effects=("sla.stop",),
        ),
        Transition((S.CLOSED,), S.IN_PROGRESS, "Reopen", effects=("sla.resume",)),
    ),
    remap={
        S.ASSIGNED: S.NEW,
        S.ON_HOLD: S.IN_PROGRESS,
        S.RESOLVED: S.CLOSED,
        S.CANCELLED: S.CLOSED,
    },
)

WORKFLOWS = {"full": FULL, "lite": LITE, "fits": FITS, "core": CORE}
