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
RESOLUTION = ("resolution",)


def _start(sources: tuple[str, ...], *, fields: tuple[str, ...]) -> Transition:
    return Transition(
        sources,
        S.IN_PROGRESS,
        "Start work",
        requires=("assignee",),
        fields=fields,
        effects=("sla.resume",),
    )


def _hold(sources: tuple[str, ...]) -> Transition:
    return Transition(sources, S.ON_HOLD, "Put on hold", effects=("sla.pause",))


def _finish(sources: tuple[str, ...], target: str, label: str) -> Transition:
    """Resolving (or, where there is no resolved state, closing): a resolution is needed."""
    return Transition(
        sources,
        target,
        label,
        requires=RESOLUTION,
        fields=RESOLUTION,
        guards=RESOLVE_GUARDS,
        effects=("sla.stop",),
    )


def _reopen(source: str) -> Transition:
    return Transition((source,), S.IN_PROGRESS, "Reopen", effects=("sla.resume",))


CLOSE = Transition((S.RESOLVED,), S.CLOSED, "Close")


def _cancel(sources: tuple[str, ...]) -> Transition:
    return Transition(
        sources,
        S.CANCELLED,
        "Cancel",
        requires=RESOLUTION,
        fields=RESOLUTION,
        effects=("sla.stop",),
    )


FULL = Workflow(
    states=(NEW, ASSIGNED, IN_PROGRESS, ON_HOLD, RESOLVED, CLOSED, CANCELLED),
    initial=S.NEW,
    transitions=(
        Transition((S.NEW,), S.ASSIGNED, "Assign", requires=("team",), fields=("team", "assignee")),
        _start((S.NEW, S.ASSIGNED, S.ON_HOLD), fields=("assignee",)),
        _hold((S.ASSIGNED, S.IN_PROGRESS)),
        _finish((S.ASSIGNED, S.IN_PROGRESS), S.RESOLVED, "Resolve"),
        _reopen(S.RESOLVED),
        CLOSE,
        _cancel((S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD)),
    ),
)

LITE = Workflow(
    states=(NEW, IN_PROGRESS, ON_HOLD, RESOLVED, CLOSED, CANCELLED),
    initial=S.NEW,
    transitions=(
        _start((S.NEW, S.ON_HOLD), fields=("assignee", "team")),
        _hold((S.IN_PROGRESS,)),
        _finish((S.NEW, S.IN_PROGRESS), S.RESOLVED, "Resolve"),
        _reopen(S.RESOLVED),
        CLOSE,
        _cancel((S.NEW, S.IN_PROGRESS, S.ON_HOLD)),
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
        _finish((S.NEW, S.IN_PROGRESS), S.RESOLVED, "Resolve"),
        _reopen(S.RESOLVED),
        CLOSE,
    ),
    remap={S.ASSIGNED: S.NEW, S.ON_HOLD: S.IN_PROGRESS, S.CANCELLED: S.CLOSED},
)

CORE = Workflow(
    states=(NEW, IN_PROGRESS, CLOSED),
    initial=S.NEW,
    transitions=(
        Transition((S.NEW,), S.IN_PROGRESS, "Start work", fields=("assignee",)),
        _finish((S.NEW, S.IN_PROGRESS), S.CLOSED, "Close"),
        _reopen(S.CLOSED),
    ),
    remap={
        S.ASSIGNED: S.NEW,
        S.ON_HOLD: S.IN_PROGRESS,
        S.RESOLVED: S.CLOSED,
        S.CANCELLED: S.CLOSED,
    },
)

WORKFLOWS = {"full": FULL, "lite": LITE, "fits": FITS, "core": CORE}
