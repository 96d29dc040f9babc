"""CAB meetings: a board meets at a time with changes on its agenda."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction

from steward.accounts.models import Person
from steward.changes.models import ApprovalBoard, CabMeeting, Change
from steward.core import audit, policy
from steward.core.errors import Forbidden, RuleViolation


def _require(actor: Person | None, action: str) -> None:
    if actor is not None and not policy.has_model_permission(actor, CabMeeting, action):
        raise Forbidden("Only change managers plan CAB meetings.")


def _check_agenda(actor: Person | None, changes: Iterable[Change]) -> list[Change]:
    chosen = list(dict.fromkeys(changes))
    closed = [c.number for c in chosen if not c.is_open and c.state_category != "resolved"]
    if closed:
        raise RuleViolation({"agenda": f"Closed changes are not discussed: {', '.join(closed)}."})
    if actor is not None and any(not policy.can(actor, "view", c) for c in chosen):
        raise RuleViolation({"agenda": "Choose changes you can see."})
    return chosen


@transaction.atomic
def create_meeting(
    *,
    actor: Person | None,
    board: ApprovalBoard,
    starts_at: datetime,
    location: str = "",
    notes: str = "",
    agenda: Iterable[Change] = (),
) -> CabMeeting:
    """Plan a meeting of ``board`` with changes on its agenda."""
    from steward.changes.services import check_text

    _require(actor, "add")
    check_text("notes", notes)
    changes = _check_agenda(actor, agenda)
    meeting = CabMeeting(board=board, starts_at=starts_at, location=location, notes=notes)
    meeting.full_clean()
    meeting.save()
    meeting.agenda.set(changes)
    audit.record(
        actor=actor,
        action="cab_meeting.created",
        obj=meeting,
        changes={
            "board": board.name,
            "starts_at": starts_at.isoformat(),
            "agenda": sorted(c.number for c in changes),
        },
        object_repr=str(meeting),
    )
    return meeting


@transaction.atomic
def set_agenda(
    *, actor: Person | None, meeting: CabMeeting, agenda: Iterable[Change]
) -> CabMeeting:
    """Put exactly ``agenda`` on the meeting's agenda."""
    _require(actor, "change")
    changes = _check_agenda(actor, agenda)
    before = sorted(meeting.agenda.values_list("number", flat=True))
    after = sorted(c.number for c in changes)
    if before != after:
        meeting.agenda.set(changes)
        audit.record(
            actor=actor,
            action="cab_meeting.agenda_set",
            obj=meeting,
            changes={"agenda": [before, after]},
            object_repr=str(meeting),
        )
    return meeting
