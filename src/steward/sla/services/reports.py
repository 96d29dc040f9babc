"""Service level compliance, counted in the database.

Clocks that ended (met or breached) in ``[since, until)`` grouped by agreement, target metric,
priority, month, and optionally the ticket's service and customer organisation: how many were
met, how many breached, the share met, and the average, median and 90th percentile of elapsed
business time. Only clocks the actor may see count. One grouped query on PostgreSQL (the
percentiles as ``percentile_disc`` in the same pass), two on SQLite (one ranking the clocks
within their groups), then one per kind of name shown, whatever the number of clocks.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Aggregate, Avg, Count, DurationField, F, Q, QuerySet, Window
from django.db.models.functions import RowNumber, TruncMonth
from django.utils import timezone

from steward.core.errors import Forbidden
from steward.core.policy import has_model_permission, scope
from steward.core.spreadsheet import safe_cell
from steward.sla.choices import ClockState
from steward.sla.models import SlaClock

#: What a report may be split by, besides agreement, metric, priority and month.
SPLITS = ("service", "customer")
#: The percentiles of elapsed business time each row gives (nearest rank: the smallest time
#: that at least this share of the row's clocks did not exceed).
PERCENTILES = (50, 90)


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
    median_minutes: int | None = None
    p90_minutes: int | None = None
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
            "median_minutes": self.median_minutes,
            "p90_minutes": self.p90_minutes,
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
    # Grouped by ids (no join for names: those are read after, for the few groups found).
    keys = ["agreement_id", "target_id", "month"]
    if ticket_key is not None:
        keys.append(f"ticket__{ticket_key}")
    if "service" in split:
        keys.append("ticket__service_id")
    if "customer" in split:
        keys.append("ticket__organisation_id")
    figures: dict[str, Any] = {
        "met": Count("id", filter=Q(state=ClockState.MET)),
        "breached": Count("id", filter=Q(state=ClockState.BREACHED)),
        "average": Avg("elapsed"),
    }
    postgres = connection.vendor == "postgresql"
    if postgres:  # ordered-set aggregates: the percentiles in the same pass
        figures.update({f"p{p}": PercentileDisc("elapsed", p) for p in PERCENTILES})
    with transaction.atomic():
        if postgres:  # sort the groups in memory, not on disk
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('work_mem', %s, true)", [REPORT_WORK_MEM])
        grouped = list(
            rows.annotate(month=TruncMonth("stopped_at")).values(*keys).annotate(**figures)
        )
        ranks = {} if postgres else _percentiles(rows, keys)
    names = _names(grouped)
    found = []
    for row in grouped:
        month = row["month"]
        key = tuple(row[k] for k in keys)
        marks = {p: row[f"p{p}"] for p in PERCENTILES} if postgres else ranks.get(key, {})
        agreement_name, agreement_code = names["agreement"][row["agreement_id"]]
        metric, priority = names["target"][row["target_id"]]
        found.append(
            ComplianceRow(
                agreement=agreement_name,
                agreement_code=agreement_code,
                metric=metric,
                priority=priority,
                month=month.date() if isinstance(month, datetime) else month,
                service=names["service"].get(row.get("ticket__service_id"), ""),
                customer=names["customer"].get(row.get("ticket__organisation_id"), ""),
                met=row["met"],
                breached=row["breached"],
                average_minutes=_minutes(row["average"]),
                median_minutes=_minutes(marks.get(50)),
                p90_minutes=_minutes(marks.get(90)),
                group=row[f"ticket__{ticket_key}"] if ticket_key is not None else None,
            )
        )
    found.sort(
        key=lambda r: (
            r.agreement,
            r.agreement_code,
            r.metric,
            r.priority,
            r.month,
            "" if r.group is None else str(r.group),
            r.service,
            r.customer,
        )
    )
    return found


#: Memory for sorting the report's groups (PostgreSQL, this transaction only).
REPORT_WORK_MEM = "64MB"


class PercentileDisc(Aggregate):
    """PostgreSQL's ``percentile_disc(p) WITHIN GROUP (ORDER BY x)``: the nearest-rank
    percentile (the first value whose cumulative share reaches ``p``)."""

    function = "PERCENTILE_DISC"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: str, percent: int) -> None:
        super().__init__(expression, fraction=f"{percent / 100:.2f}", output_field=DurationField())


def _names(grouped: list[dict[str, Any]]) -> dict[str, dict[Any, Any]]:
    """The names of the agreements, targets, services and customers of the groups."""
    from steward.accounts.models import Organisation
    from steward.cmdb.models import ConfigurationItem
    from steward.sla.models import Agreement, Target

    def ids(key: str) -> set[Any]:
        return {row[key] for row in grouped if row.get(key) is not None}

    return {
        "agreement": {
            pk: (name, code)
            for pk, name, code in Agreement.objects.filter(pk__in=ids("agreement_id")).values_list(
                "pk", "name", "code"
            )
        },
        "target": {
            pk: (metric, priority)
            for pk, metric, priority in Target.objects.filter(pk__in=ids("target_id")).values_list(
                "pk", "metric", "priority"
            )
        },
        "service": dict(
            ConfigurationItem.objects.filter(pk__in=ids("ticket__service_id")).values_list(
                "pk", "name"
            )
        ),
        "customer": dict(
            Organisation.objects.filter(pk__in=ids("ticket__organisation_id")).values_list(
                "pk", "name"
            )
        ),
    }


def _minutes(value: Any) -> int | None:
    return int(value.total_seconds() // 60) if isinstance(value, timedelta) else None


def _percentiles(
    rows: QuerySet[SlaClock], keys: list[str]
) -> dict[tuple[Any, ...], dict[int, Any]]:
    """The :data:`PERCENTILES` of elapsed time per group of ``keys`` where the database has
    no ordered-set aggregates (SQLite): each clock is numbered within its group by elapsed time
    (``ROW_NUMBER``) and the rows at the nearest ranks (``ceil(n * p / 100)``, in integers) are
    read back, in one query."""
    groups = [TruncMonth("stopped_at") if k == "month" else F(k) for k in keys]
    ranked = rows.annotate(
        month=TruncMonth("stopped_at"),
        rank=Window(RowNumber(), partition_by=groups, order_by=[F("elapsed").asc(), "id"]),
        size=Window(Count("id"), partition_by=groups),
    )
    wanted = Q()
    for p in PERCENTILES:
        wanted |= Q(rank=(F("size") * p + 99) / 100)
    found: dict[tuple[Any, ...], dict[int, Any]] = {}
    for row in ranked.filter(wanted).values(*keys, "rank", "size", "elapsed"):
        marks = found.setdefault(tuple(row[k] for k in keys), {})
        for p in PERCENTILES:
            if row["rank"] == (row["size"] * p + 99) // 100:
                marks[p] = row["elapsed"]
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
    "median_minutes",
    "p90_minutes",
)


def as_csv(rows: Iterable[ComplianceRow]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
    writer.writeheader()
    for row in rows:
        values = row.as_dict()
        share = values["met_share"]
        values["met_share"] = "" if share is None else f"{share:.4f}"
        for name in ("average_minutes", "median_minutes", "p90_minutes"):
            values[name] = "" if values[name] is None else values[name]
        writer.writerow({k: safe_cell(v) for k, v in values.items()})
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
