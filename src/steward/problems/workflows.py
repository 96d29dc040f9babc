"""The life of a problem, per process profile.

``full`` runs ITIL's problem control and error control: a new problem is assessed, analysed
for its root cause, recorded as a known error (``problems.known_error_ready``: root cause
and workaround present), fixed by a change (``problems.has_fix``), resolved and closed.
``lite`` and ``fits`` keep fewer steps; Core Practice has no problem management (its
records, if any, follow ``full`` until finished). Becoming a known error stamps
``known_error_at`` (``problems.record_known_error``). Guards and effects named
``problems.*`` are registered in ``apps.py``.
"""

from __future__ import annotations

from steward.core.workflow import Category, State, Transition, Workflow
from steward.problems.choices import ProblemState as S

NEW = State(S.NEW, S.NEW.label, Category.NEW)
ASSESSED = State(S.ASSESSED, S.ASSESSED.label, Category.ACTIVE)
ANALYSIS = State(S.ROOT_CAUSE_ANALYSIS, S.ROOT_CAUSE_ANALYSIS.label, Category.ACTIVE)
KNOWN_ERROR = State(S.KNOWN_ERROR, S.KNOWN_ERROR.label, Category.ACTIVE)
FIXING = State(S.FIX_IN_PROGRESS, S.FIX_IN_PROGRESS.label, Category.ACTIVE)
RESOLVED = State(S.RESOLVED, S.RESOLVED.label, Category.RESOLVED)
CLOSED = State(S.CLOSED, S.CLOSED.label, Category.CLOSED)

KNOWN_ERROR_GUARDS = ("problems.known_error_ready",)
KNOWN_ERROR_EFFECTS = ("problems.record_known_error",)
RESOLVE_FIELDS = ("resolution",)


def _known_error(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.KNOWN_ERROR,
        "Record as known error",
        guards=KNOWN_ERROR_GUARDS,
        effects=KNOWN_ERROR_EFFECTS,
    )


def _resolve(source: tuple[str, ...]) -> Transition:
    return Transition(source, S.RESOLVED, "Resolve", requires=RESOLVE_FIELDS, fields=RESOLVE_FIELDS)


def _close_unsolved(source: tuple[str, ...]) -> Transition:
    # Not a problem after all (a duplicate, or not worth solving): closed with the reason.
    return Transition(
        source, S.CLOSED, "Close unsolved", requires=RESOLVE_FIELDS, fields=RESOLVE_FIELDS
    )


FULL = Workflow(
    states=(NEW, ASSESSED, ANALYSIS, KNOWN_ERROR, FIXING, RESOLVED, CLOSED),
    initial=S.NEW,
    transitions=(
        Transition((S.NEW,), S.ASSESSED, "Assess"),
        Transition((S.ASSESSED,), S.ROOT_CAUSE_ANALYSIS, "Start root-cause analysis"),
        _known_error((S.ASSESSED, S.ROOT_CAUSE_ANALYSIS)),
        Transition(
            (S.ROOT_CAUSE_ANALYSIS, S.KNOWN_ERROR),
            S.FIX_IN_PROGRESS,
            "Start fix",
            guards=("problems.has_fix",),
        ),
        _resolve((S.FIX_IN_PROGRESS,)),
        Transition((S.RESOLVED,), S.FIX_IN_PROGRESS, "Reopen (the fix did not work)"),
        Transition((S.RESOLVED,), S.CLOSED, "Close"),
        _close_unsolved((S.NEW, S.ASSESSED, S.ROOT_CAUSE_ANALYSIS)),
    ),
)

LITE = Workflow(
    states=(NEW, ANALYSIS, KNOWN_ERROR, RESOLVED, CLOSED),
    initial=S.NEW,
    transitions=(
        Transition((S.NEW,), S.ROOT_CAUSE_ANALYSIS, "Start root-cause analysis"),
        _known_error((S.NEW, S.ROOT_CAUSE_ANALYSIS)),
        _resolve((S.ROOT_CAUSE_ANALYSIS, S.KNOWN_ERROR)),
        Transition((S.RESOLVED,), S.KNOWN_ERROR, "Reopen (the fix did not work)"),
        Transition((S.RESOLVED,), S.CLOSED, "Close"),
        _close_unsolved((S.NEW, S.ROOT_CAUSE_ANALYSIS)),
    ),
    remap={S.ASSESSED: S.NEW, S.FIX_IN_PROGRESS: S.KNOWN_ERROR},
)

FITS = Workflow(
    states=(NEW, KNOWN_ERROR, RESOLVED, CLOSED),
    initial=S.NEW,
    transitions=(
        _known_error((S.NEW,)),
        _resolve((S.NEW, S.KNOWN_ERROR)),
        Transition((S.RESOLVED,), S.CLOSED, "Close"),
    ),
    remap={
        S.ASSESSED: S.NEW,
        S.ROOT_CAUSE_ANALYSIS: S.NEW,
        S.FIX_IN_PROGRESS: S.KNOWN_ERROR,
    },
)

WORKFLOWS: dict[str, Workflow | None] = {"full": FULL, "lite": LITE, "fits": FITS, "core": None}
