"""Service level compliance, counted in the database.

Clocks that ended (met or breached) in ``[since, until)`` grouped by agreement, target metric,
priority, month, and optionally the ticket's service and customer organisation: how many were
met, how many breached, the share met, and the average elapsed business time. Only clocks the
actor may see count. One grouped query, whatever the number of clocks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone

from steward.core.errors import Forbidden
from steward.core.policy import has_model_permission, scope
from steward.sla.choices import ClockState
from steward.sla.models import SlaClock

#: What a report may be split by, besides agreement, metric, priority and month.
SPLITS = ("service", "customer")


@dataclass(frozen=True)
class ComplianceRow:
    agreement: str
    agreement_code: str
    metric: str
    priority: int
    month: date
    service: str
    customer: str
    met: int
    breached: int
    average_minutes: int | None
    #: The value of the caller's ``ticket_key`` (``None`` without one).
    group: Any = None

    @property
    def total(self) -> int:
        return self.met + self.breached

    @property
    def met_share(self) -> float | None:
        return self.met / self.total if self.total else None

    @property
    def met_percent(self) -> int:
        return round((self.met_share or 0) * 100)

    def as_dict(self) -> dict[str, Any]:
        return {
            "agreement": self.agreement,
            "agreement_code": self.agreement_code,
            "metric": self.metric,
            "priority": self.priority,
            "month": self.month.isoformat(),
            "service": self.service,
            "customer": self.customer,
            "met": self.met,
            "breached": self.breached,
            "met_share": self.met_share,
            "average_minutes": self.average_minutes,
        }


def day_range(since: date, until: date) -> tuple[datetime, datetime]:
    """``[since 00:00, the day after until 00:00)`` in the site's zone."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time(0), tzinfo=zone)
    end = datetime.combine(until + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def compliance(
    *,
    actor: Any,
    since: datetime,
    until: datetime,
    split: Iterable[str] = (),
    agreement: int | None = None,
    kind: str | None = None,
    ticket_key: str | None = None,
) -> list[ComplianceRow]:
    """The compliance rows of ``[since, until)`` (see the module docstring).

    ``kind`` keeps the clocks of one ticket kind (``incidents.incident``); ``ticket_key``, a
    lookup on the clocked ticket (``team_id``), splits the rows by its value as well.
    """
    if actor is not None and not has_model_permission(actor, SlaClock, "view"):
        raise Forbidden("You may not see service level reports.")
    split = [s for s in split if s in SPLITS]
    rows = SlaClock.objects.filter(
        state__in=(ClockState.MET, ClockState.BREACHED),
        stopped_at__gte=since,
        stopped_at__lt=until,
    )
    if actor is not None:
        rows = scope(rows, actor, "view")
    if agreement is not None:
        rows = rows.filter(agreement_id=agreement)
    if kind is not None:
        rows = rows.filter(ticket__kind=kind)
    keys = ["agreement__name", "agreement__code", "target__metric", "target__priority", "month"]
    if ticket_key is not None:
        keys.append(f"ticket__{ticket_key}")
    if "service" in split:
        keys.append("ticket__service__name")
    if "customer" in split:
        keys.append("ticket__organisation__name")
    grouped = (
        rows.annotate(month=TruncMonth("stopped_at"))
        .values(*keys)
        .annotate(
            met=Count("id", filter=Q(state=ClockState.MET)),
            breached=Count("id", filter=Q(state=ClockState.BREACHED)),
            average=Avg("elapsed"),
        )
        .order_by(*keys)
    )
    found = []
    for row in grouped:
        average = row["average"]
        month = row["month"]
        found.append(
            ComplianceRow(
                agreement=row["agreement__name"],
                agreement_code=row["agreement__code"],
                metric=row["target__metric"],
                priority=row["target__priority"],
                month=month.date() if isinstance(month, datetime) else month,
                service=row.get("ticket__service__name") or "",
                customer=row.get("ticket__organisation__name") or "",
                met=row["met"],
                breached=row["breached"],
                average_minutes=(
                    int(average.total_seconds() // 60) if isinstance(average, timedelta) else None
                ),
                group=row[f"ticket__{ticket_key}"] if ticket_key is not None else None,
            )
        )
    return found


CSV_COLUMNS = (
    "agreement",
    "agreement_code",
    "metric",
    "priority",
    "month",
    "service",
    "customer",
    "met",
    "breached",
    "met_share",
    "average_minutes",
)


def _cell(value: Any) -> Any:
    """Text a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def as_csv(rows: Iterable[ComplianceRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        values = row.as_dict()
        share = values["met_share"]
        values["met_share"] = "" if share is None else f"{share:.4f}"
        values["average_minutes"] = (
            "" if values["average_minutes"] is None else values["average_minutes"]
        )
        writer.writerow({k: _cell(v) for k, v in values.items()})
    return out.getvalue()


@dataclass(frozen=True)
class Breach:
    """One clock that ended breached, with why: how far over, how long it was paused, and the
    notes of its course (a policy applied on a change)."""

    clock_id: int
    ticket: str
    agreement: str
    target: str
    priority: int
    stopped_at: datetime
    over_minutes: int
    paused_minutes: int
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "clock": self.clock_id,
            "ticket": self.ticket,
            "agreement": self.agreement,
            "target": self.target,
            "priority": self.priority,
            "stopped_at": self.stopped_at,
            "over_minutes": self.over_minutes,
            "paused_minutes": self.paused_minutes,
            "reason": self.reason,
        }


def breaches(*, actor: Any, since: datetime, until: datetime, limit: int = 200) -> list[Breach]:
    """The clocks that ended breached in ``[since, until)``, latest first (at most ``limit``)."""
    if actor is not None and not has_model_permission(actor, SlaClock, "view"):
        raise Forbidden("You may not see service level reports.")
    rows = SlaClock.objects.filter(
        state=ClockState.BREACHED, stopped_at__gte=since, stopped_at__lt=until
    )
    if actor is not None:
        rows = scope(rows, actor, "view")
    found = []
    for clock in rows.select_related("ticket", "target", "agreement__calendar").order_by(
        "-stopped_at", "-id"
    )[:limit]:
        length = clock.target.length(clock.agreement.calendar.as_calendar())
        over = int((clock.elapsed - length).total_seconds() // 60)
        paused = int(clock.paused.total_seconds() // 60)
        reason = (
            f"{int(clock.elapsed.total_seconds() // 60)} business minutes against "
            f"{int(length.total_seconds() // 60)} ({clock.target.duration_text()})"
            + (f"; {paused} paused" if paused else "")
        )
        if clock.notes:
            reason += "; " + " ".join(clock.notes)
        found.append(
            Breach(
                clock_id=clock.pk,
                ticket=clock.ticket.number,
                agreement=clock.agreement.name,
                target=clock.target.name,
                priority=clock.target.priority,
                stopped_at=clock.stopped_at or until,
                over_minutes=over,
                paused_minutes=paused,
                reason=reason,
            )
        )
    return found
