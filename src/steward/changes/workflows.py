"""The life of a change, per process profile.

One workflow per profile serves all three change types; guards tell them apart:

- ``full`` (ITIL): a *normal* change is assessed (``new -> assessment``), sent for approval
  once its risk is assessed and its window planned (``changes.ready_for_approval``; the
  effect ``changes.request_approvals`` asks the boards its risk class names), scheduled
  when every board approved (``changes.approved``), implemented, reviewed and closed. An
  *emergency* change goes from ``new`` straight to the emergency CAB
  (``changes.emergency_only``) and cannot close without its retrospective review
  (``changes.review_complete``). A *standard* change goes from ``new`` straight to
  ``scheduled`` (``changes.standard_only``: raised from an approved template) and closes
  from ``implementing`` with its outcome, no review state needed.
- ``lite`` and ``fits``: ``new -> approval -> scheduled -> implementing -> closed`` (the
  review is recorded when closing); ``fits`` has no *cancelled* (a withdrawn change closes).
- ``core``: ``new -> approval -> scheduled -> closed``: agreed, planned, done.

Closing an implemented change needs its tasks done or skipped (``changes.tasks_finished``)
and its outcome. Guards and effects named ``changes.*`` are registered in ``apps.py``.
"""

from __future__ import annotations

from steward.changes.choices import ChangeState as S
from steward.core.workflow import Category, State, Transition, Workflow

NEW = State(S.NEW, S.NEW.label, Category.NEW)
ASSESSMENT = State(S.ASSESSMENT, S.ASSESSMENT.label, Category.ACTIVE)
APPROVAL = State(S.APPROVAL, S.APPROVAL.label, Category.WAITING)
SCHEDULED = State(S.SCHEDULED, S.SCHEDULED.label, Category.ACTIVE)
IMPLEMENTING = State(S.IMPLEMENTING, S.IMPLEMENTING.label, Category.ACTIVE)
REVIEW = State(S.REVIEW, S.REVIEW.label, Category.RESOLVED)
CLOSED = State(S.CLOSED, S.CLOSED.label, Category.CLOSED)
CANCELLED = State(S.CANCELLED, S.CANCELLED.label, Category.CLOSED)

WINDOW = ("planned_start", "planned_end")
REASON = ("resolution",)
OUTCOME = ("outcome",)
REVIEW_FIELDS = ("outcome", "review_notes")
CLOSE_GUARDS = ("changes.tasks_finished", "changes.review_complete")
#: Entering approval: the plan is ready and the boards are asked.
APPROVAL_GUARDS = ("changes.ready_for_approval",)
APPROVAL_EFFECTS = ("changes.request_approvals",)


def _to_approval(
    source: tuple[str, ...], label: str, *, guards: tuple[str, ...] = ()
) -> Transition:
    return Transition(
        source,
        S.APPROVAL,
        label,
        requires=WINDOW,
        guards=(*guards, *APPROVAL_GUARDS),
        effects=APPROVAL_EFFECTS,
    )


def _standard(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.SCHEDULED,
        "Schedule (standard change)",
        requires=WINDOW,
        fields=WINDOW,
        guards=("changes.standard_only",),
    )


def _approved(source: tuple[str, ...]) -> Transition:
    return Transition(
        source, S.SCHEDULED, "Schedule (approved)", requires=WINDOW, guards=("changes.approved",)
    )


def _start(source: tuple[str, ...]) -> Transition:
    return Transition(
        source,
        S.IMPLEMENTING,
        "Start implementation",
        guards=("changes.still_approved",),
        effects=("changes.record_start",),
    )


def _close(source: tuple[str, ...], label: str, *, guards: tuple[str, ...] = ()) -> Transition:
    return Transition(
        source,
        S.CLOSED,
        label,
        requires=OUTCOME,
        fields=REVIEW_FIELDS,
        guards=(*guards, *CLOSE_GUARDS),
        effects=("changes.record_end",),
    )


def _cancel(source: tuple[str, ...], target: str = S.CANCELLED) -> Transition:
    return Transition(
        source,
        target,
        "Cancel" if target == S.CANCELLED else "Withdraw",
        requires=REASON,
        fields=REASON,
        effects=("changes.withdraw_approvals",),
    )


FULL = Workflow(
    states=(NEW, ASSESSMENT, APPROVAL, SCHEDULED, IMPLEMENTING, REVIEW, CLOSED, CANCELLED),
    initial=S.NEW,
    transitions=(
        Transition((S.NEW,), S.ASSESSMENT, "Assess", guards=("changes.not_standard",)),
        _to_approval((S.NEW,), "Send to the emergency CAB", guards=("changes.emergency_only",)),
        _to_approval((S.ASSESSMENT,), "Request approval"),
        _standard((S.NEW,)),
        _approved((S.APPROVAL,)),
        Transition(
            (S.APPROVAL, S.SCHEDULED),
            S.ASSESSMENT,
            "Revise (approval asked again)",
            guards=("changes.not_standard",),
            effects=("changes.withdraw_approvals",),
        ),
        _start((S.SCHEDULED,)),
        Transition(
            (S.IMPLEMENTING,),
            S.REVIEW,
            "Finish implementation",
            fields=OUTCOME,
            guards=("changes.not_standard",),
            effects=("changes.record_end",),
        ),
        _close((S.IMPLEMENTING,), "Close (standard change)", guards=("changes.standard_only",)),
        _close((S.REVIEW,), "Close after review"),
        _cancel((S.NEW, S.ASSESSMENT, S.APPROVAL, S.SCHEDULED)),
    ),
)

LITE = Workflow(
    states=(NEW, APPROVAL, SCHEDULED, IMPLEMENTING, CLOSED, CANCELLED),
    initial=S.NEW,
    transitions=(
        _to_approval((S.NEW,), "Request approval", guards=("changes.not_standard",)),
        _standard((S.NEW,)),
        _approved((S.APPROVAL,)),
        Transition(
            (S.APPROVAL, S.SCHEDULED),
            S.NEW,
            "Revise (approval asked again)",
            guards=("changes.not_standard",),
            effects=("changes.withdraw_approvals",),
        ),
        _start((S.SCHEDULED,)),
        _close((S.IMPLEMENTING,), "Close"),
        _cancel((S.NEW, S.APPROVAL, S.SCHEDULED)),
    ),
    remap={S.ASSESSMENT: S.NEW, S.REVIEW: S.IMPLEMENTING},
)

FITS = Workflow(
    states=(NEW, APPROVAL, SCHEDULED, IMPLEMENTING, CLOSED),
    initial=S.NEW,
    transitions=(
        _to_approval((S.NEW,), "Request approval", guards=("changes.not_standard",)),
        _standard((S.NEW,)),
        _approved((S.APPROVAL,)),
        _start((S.SCHEDULED,)),
        _close((S.IMPLEMENTING,), "Close"),
        _cancel((S.NEW, S.APPROVAL, S.SCHEDULED), target=S.CLOSED),
    ),
    remap={S.ASSESSMENT: S.NEW, S.REVIEW: S.IMPLEMENTING, S.CANCELLED: S.CLOSED},
)

CORE = Workflow(
    states=(NEW, APPROVAL, SCHEDULED, CLOSED),
    initial=S.NEW,
    transitions=(
        _to_approval((S.NEW,), "Request approval", guards=("changes.not_standard",)),
        _standard((S.NEW,)),
        _approved((S.APPROVAL,)),
        Transition(
            (S.SCHEDULED,),
            S.CLOSED,
            "Close (implemented)",
            requires=OUTCOME,
            fields=REVIEW_FIELDS,
            guards=CLOSE_GUARDS,
            effects=("changes.record_start", "changes.record_end"),
        ),
        _cancel((S.NEW, S.APPROVAL), target=S.CLOSED),
    ),
    remap={
        S.ASSESSMENT: S.NEW,
        S.IMPLEMENTING: S.SCHEDULED,
        S.REVIEW: S.SCHEDULED,
        S.CANCELLED: S.CLOSED,
    },
)

WORKFLOWS: dict[str, Workflow | None] = {"full": FULL, "lite": LITE, "fits": FITS, "core": CORE}
