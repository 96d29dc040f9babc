"""Change management figures for a period, computed in the database (one query each).

- **Change success rate**: of the changes *closed* in the period with an outcome recorded
  (their post-implementation review, or a standard change's closing outcome), the share
  whose outcome is *successful* or *successful with issues*. Failed and backed-out changes
  count against it; cancelled changes and changes closed without an outcome are left out.
- **Emergency change ratio**: of the changes *raised* (opened) in the period, whatever
  became of them, the share raised as emergency changes.

Both are ``None`` when nothing was counted. The period is whole days, both inclusive, in
the site's time zone.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from steward.accounts.models import Person
from steward.changes.choices import ChangeType, Outcome
from steward.changes.models import Change
from steward.core import policy
from steward.core.errors import RuleViolation


@dataclass
class ChangeFigures:
    since: str
    until: str
    reviewed: int
    successful: int
    successful_with_issues: int
    failed: int
    backed_out: int
    success_rate: float | None
    raised: int
    emergency: int
    emergency_ratio: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def day_range(since: date, until: date) -> tuple[datetime, datetime]:
    """Whole days ``since``..``until`` (both inclusive) as an aware half-open range."""
    if until < since:
        raise RuleViolation({"to": "The end is before the start."})
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone)
    return start, datetime.combine(until, time.min, tzinfo=zone) + timedelta(days=1)


def change_figures(*, actor: Person | None, since: date, until: date) -> ChangeFigures:
    """The success rate and emergency ratio of the days ``since``..``until``."""
    if actor is not None:
        policy.require_model(actor, Change, "view")
    start, end = day_range(since, until)
    changes = Change.objects.all() if actor is None else Change.objects.visible_to(actor)
    closed = changes.filter(closed_at__gte=start, closed_at__lt=end).exclude(outcome="")
    outcomes = closed.aggregate(
        reviewed=Count("pk"),
        successful=Count("pk", filter=Q(outcome=Outcome.SUCCESSFUL)),
        with_issues=Count("pk", filter=Q(outcome=Outcome.WITH_ISSUES)),
        failed=Count("pk", filter=Q(outcome=Outcome.FAILED)),
        backed_out=Count("pk", filter=Q(outcome=Outcome.BACKED_OUT)),
    )
    raised = changes.filter(opened_at__gte=start, opened_at__lt=end).aggregate(
        raised=Count("pk"), emergency=Count("pk", filter=Q(change_type=ChangeType.EMERGENCY))
    )
    reviewed = int(outcomes["reviewed"])
    good = int(outcomes["successful"]) + int(outcomes["with_issues"])
    return ChangeFigures(
        since=since.isoformat(),
        until=until.isoformat(),
        reviewed=reviewed,
        successful=int(outcomes["successful"]),
        successful_with_issues=int(outcomes["with_issues"]),
        failed=int(outcomes["failed"]),
        backed_out=int(outcomes["backed_out"]),
        success_rate=round(good / reviewed, 4) if reviewed else None,
        raised=int(raised["raised"]),
        emergency=int(raised["emergency"]),
        emergency_ratio=(
            round(int(raised["emergency"]) / int(raised["raised"]), 4) if raised["raised"] else None
        ),
    )
