"""Approvals of changes: the boards a change's risk path names are asked, for one plan
revision; their approvers vote; each board's rule decides."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from steward.changes import impact
from steward.changes.choices import ApprovalPath, ApprovalState, BoardKind, ChangeType
from steward.changes.models import ApprovalBoard, ApprovalRequest, Change
from steward.core import audit


def approval_path(change: Change) -> str | None:
    """The path a change's approval takes: emergencies have their own; normal changes
    follow their risk class; standard changes need none."""
    if change.change_type == ChangeType.STANDARD:
        return None
    if change.change_type == ChangeType.EMERGENCY:
        return ApprovalPath.EMERGENCY
    return change.risk_class or None


def boards_for(change: Change) -> list[ApprovalBoard]:
    """The active boards on the change's approval path (boards are few: filtered here)."""
    path = approval_path(change)
    if path is None:
        return []
    return [b for b in ApprovalBoard.objects.filter(is_active=True) if b.on_path(path)]


def approvers_of(board: ApprovalBoard, change: Change) -> list[Any]:
    """The people who approve for ``board``: its members, or the owners of the services the
    change affects for the service owners' board."""
    if board.kind == BoardKind.SERVICE_OWNERS:
        owners = {
            s.owner.pk: s.owner
            for s in impact.affected_services(change.pk)
            if s.owner is not None and s.owner.is_active
        }
        return sorted(owners.values(), key=lambda p: p.pk)
    return list(board.members.filter(is_active=True).order_by("pk"))


def current_requests(change: Change) -> list[ApprovalRequest]:
    """The requests for the change's current plan revision that still count."""
    return list(
        ApprovalRequest.objects.filter(change=change, revision=change.plan_revision)
        .exclude(state=ApprovalState.WITHDRAWN)
        .select_related("board")
    )


def approval_refusal(change: Change) -> str | None:
    """Why the change is not approved for its current revision (``None``: it is)."""
    requests = current_requests(change)
    if not requests:
        if not boards_for(change):
            return "No board is set up to approve this change; ask an administrator."
        return "Approval has not been asked for this revision of the plan."
    waiting = [r.board.name for r in requests if r.state != ApprovalState.APPROVED]
    if waiting:
        return f"Not approved yet by: {', '.join(sorted(waiting))}."
    return None


def open_requests(change: Change, *, actor: Any) -> list[ApprovalRequest]:
    """Ask each board of the change's path to approve its current revision (idempotent)."""
    made = []
    for board in boards_for(change):
        request, created = ApprovalRequest.objects.get_or_create(
            change=change,
            board=board,
            revision=change.plan_revision,
            defaults={"rule": board.rule, "quorum": board.quorum},
        )
        if not created:
            continue
        request.approvers.set(approvers_of(board, change))
        audit.record(
            actor=actor,
            action="change.approval_requested",
            obj=change,
            changes={"board": board.name, "revision": change.plan_revision},
            object_repr=change.number,
        )
        made.append(request)
    return made


def withdraw_pending(change: Change, *, actor: Any, reason: str) -> int:
    """Withdraw the change's pending requests (a new revision, the change left approval)."""
    pending = list(ApprovalRequest.objects.filter(change=change, state=ApprovalState.PENDING))
    now = timezone.now()
    for request in pending:
        request.state = ApprovalState.WITHDRAWN
        request.decided_at = now
        request.save(update_fields=["state", "decided_at"])
        audit.record(
            actor=actor,
            action="change.approval_withdrawn",
            obj=change,
            changes={"board": request.board_id, "revision": request.revision, "reason": reason},
            object_repr=change.number,
        )
    return len(pending)
