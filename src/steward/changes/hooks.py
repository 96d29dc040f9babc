"""Workflow guards and effects of changes (registered by name in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from steward.changes.models import Change


def not_standard(change: Change, actor: Any) -> str | None:
    """Standard changes skip assessment and the boards."""
    if change.is_standard:
        return "A standard change is pre-approved: schedule it straight away."
    return None


def standard_only(change: Change, actor: Any) -> str | None:
    """Only a standard change raised from an approved template skips the boards."""
    if not change.is_standard:
        return "Only a standard change skips approval."
    template = change.template
    if template is None or not template.is_approved or not template.is_active:
        return "A standard change needs an approved, active template."
    return None


def emergency_only(change: Change, actor: Any) -> str | None:
    """Only an emergency change skips assessment and goes to the emergency CAB."""
    if not change.is_emergency:
        return "Only an emergency change skips assessment; assess it first."
    return None


def ready_for_approval(change: Change, actor: Any) -> str | None:
    """The boards are asked once the plans are written and the risk is assessed."""
    missing = [
        label
        for label, value in (
            ("an implementation plan", change.implementation_plan),
            ("a back-out plan", change.backout_plan),
        )
        if not value.strip()
    ]
    if missing:
        return f"Write {' and '.join(missing)} before asking for approval."
    if not change.risk_class:
        return "Assess the risk before asking for approval."
    return None


def approved(change: Change, actor: Any) -> str | None:
    """Scheduled once every board asked approved the current plan revision."""
    from steward.changes.services import approvals

    return approvals.approval_refusal(change)


def still_approved(change: Change, actor: Any) -> str | None:
    """Work starts on the plan that was approved (standard changes: the template's)."""
    if change.is_standard:
        return standard_only(change, actor)
    from steward.changes.services import approvals

    return approvals.approval_refusal(change)


def tasks_finished(change: Change, actor: Any) -> str | None:
    """A change closes once each of its tasks is done or skipped."""
    from steward.changes.services import tasks

    unfinished = tasks.unfinished_titles(change)
    if unfinished:
        return f"Finish or skip its tasks first: {', '.join(unfinished)}."
    return None


def review_complete(change: Change, actor: Any) -> str | None:
    """An implemented normal or emergency change closes with its review; an emergency
    change's retrospective needs notes."""
    if change.is_standard:
        return None
    if change.is_emergency and not change.review_notes.strip():
        return "An emergency change closes only after its retrospective review (review notes)."
    return None


def request_approvals(change: Change, **kwargs: Any) -> None:
    """Entering approval: ask each board of the risk path (for the current revision)."""
    from steward.changes.services import approvals

    approvals.open_requests(change, actor=kwargs.get("actor"))


def withdraw_approvals(change: Change, **kwargs: Any) -> None:
    """Leaving approval without it (revised, cancelled): pending requests are withdrawn."""
    from steward.changes.services import approvals

    approvals.withdraw_pending(change, actor=kwargs.get("actor"), reason="change left approval")


def record_start(change: Change, **kwargs: Any) -> None:
    """Stamp when implementation started (the first time only)."""
    if change.actual_start is None:
        change.actual_start = timezone.now()
        Change.objects.filter(pk=change.pk).update(actual_start=change.actual_start)


def record_end(change: Change, **kwargs: Any) -> None:
    """Stamp when implementation ended."""
    if change.actual_start is not None and change.actual_end is None:
        change.actual_end = timezone.now()
        Change.objects.filter(pk=change.pk).update(actual_end=change.actual_end)
