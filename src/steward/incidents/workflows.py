"""The life of an incident, per process profile.

Like a plain ticket's (``tickets.workflows``), plus what incident management needs: a hold
reason to go on hold, a resolution code to resolve, and a reopening the requester may make
(their reply within the reopening window; ``incidents.may_reopen`` decides). Resolving an
incident resolves its open child incidents too (``incidents.resolve_children``); in ``full``
a major incident closes only after its post-incident review is completed
(``incidents.review_completed``). Effects named
``sla.*`` are the SLA app's; ``incidents.*`` effects and guards are registered in ``apps.py``.
"""

from __future__ import annotations

from steward.core.workflow import Category, State, Transition, Workflow
from steward.incidents.choices import IncidentState as S

NEW = State(S.NEW, S.NEW.label, Category.NEW)
ASSIGNED = State(S.ASSIGNED, S.ASSIGNED.label, Category.NEW)
IN_PROGRESS = State(S.IN_PROGRESS, S.IN_PROGRESS.label, Category.ACTIVE)
ON_HOLD = State(S.ON_HOLD, S.ON_HOLD.label, Category.WAITING)
RESOLVED = State(S.RESOLVED, S.RESOLVED.label, Category.RESOLVED)
CLOSED = State(S.CLOSED, S.CLOSED.label, Category.CLOSED)
CANCELLED = State(S.CANCELLED, S.CANCELLED.label, Category.CLOSED)

#: Open child incidents are resolved with their parent (``incidents.resolve_children``); other
#: open child tickets still block it (``incidents.children_resolvable``).
RESOLVE_GUARDS = ("incidents.children_resolvable",)
RESOLVE_FIELDS = ("resolution_code", "resolution")
RESOLVE_EFFECTS = ("sla.stop", "incidents.start_reopen_window", "incidents.resolve_children")
#: A major incident closes once its post-incident review is completed (``full`` only).
CLOSE_GUARDS = ("incidents.review_completed",)
RESUME_EFFECTS = ("sla.resume", "incidents.clear_hold_reason")
CLOSE_EFFECTS = ("incidents.end_reopen_window",)
REOPEN_GUARDS = ("incidents.may_reopen",)
REOPEN_EFFECTS = ("sla.resume", "incidents.count_reopen")


def _resolve(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.RESOLVED,
        "Resolve",
        requires=RESOLVE_FIELDS,
        fields=RESOLVE_FIELDS,
        guards=RESOLVE_GUARDS,
        effects=RESOLVE_EFFECTS,
    )


def _resolve_with_parent(source: tuple[str, ...]) -> Transition:
    # From the states an incident cannot be resolved from by hand: only its parent's
    # resolution moves it (the guard), as the system (no role holds the permission).
    return Transition(
        source,
        S.RESOLVED,
        "Resolve with parent",
        requires=RESOLVE_FIELDS,
        fields=RESOLVE_FIELDS,
        guards=("incidents.parent_resolved", *RESOLVE_GUARDS),
        effects=(*RESOLVE_EFFECTS, "incidents.clear_hold_reason"),
        permission="incidents.resolve_with_parent",
    )


def _hold(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.ON_HOLD,
        "Put on hold",
        requires=("hold_reason",),
        fields=("hold_reason",),
        effects=("sla.pause",),
    )


def _reopen(source: str) -> Transition:
    # "view": the requester may reopen too; the guard keeps them to their reopening window.
    return Transition(
        (source,),
        S.IN_PROGRESS,
        "Reopen",
        guards=REOPEN_GUARDS,
        effects=REOPEN_EFFECTS,
        permission="view",
    )


def _cancel(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.CANCELLED,
        "Cancel",
        requires=("resolution",),
        fields=("resolution",),
        effects=("sla.stop", "incidents.clear_hold_reason"),
    )


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
            effects=RESUME_EFFECTS,
        ),
        _hold((S.ASSIGNED, S.IN_PROGRESS)),
        _resolve((S.ASSIGNED, S.IN_PROGRESS)),
        _reopen(S.RESOLVED),
        Transition((S.RESOLVED,), S.CLOSED, "Close", guards=CLOSE_GUARDS, effects=CLOSE_EFFECTS),
        _cancel((S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.ON_HOLD)),
        _resolve_with_parent((S.NEW, S.ON_HOLD)),
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
            effects=RESUME_EFFECTS,
        ),
        _hold((S.IN_PROGRESS,)),
        _resolve((S.NEW, S.IN_PROGRESS)),
        _reopen(S.RESOLVED),
        Transition((S.RESOLVED,), S.CLOSED, "Close", effects=CLOSE_EFFECTS),
        _cancel((S.NEW, S.IN_PROGRESS, S.ON_HOLD)),
        _resolve_with_parent((S.ON_HOLD,)),
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
        _resolve((S.NEW, S.IN_PROGRESS)),
        _reopen(S.RESOLVED),
        Transition((S.RESOLVED,), S.CLOSED, "Close", effects=CLOSE_EFFECTS),
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
            requires=RESOLVE_FIELDS,
            fields=RESOLVE_FIELDS,
            guards=RESOLVE_GUARDS,
            effects=("sla.stop", "incidents.resolve_children"),
        ),
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
