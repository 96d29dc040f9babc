"""Service KPIs of a period, computed in the database from the records and the audit log.

``kpi_report(actor=..., since=..., until=..., kind="incident", group_by=None)`` answers, for
the tickets of one kind the actor may see, over ``[since, until)``:

* **opened / resolved / closed**: tickets whose ``opened_at`` / ``resolved_at`` /
  ``closed_at`` falls in the period (``resolved_at`` is the latest resolution: a reopening
  clears it, the next resolution stamps it again);
* **time to resolve** (mean and median): ``resolved_at - opened_at`` of the tickets resolved
  in the period, in wall-clock seconds (the median in SQL with ``ROW_NUMBER``/``COUNT``
  window functions: the middle row, or the mean of the two middle rows);
* **first-contact resolution** (incidents): the incident report's condition
  (``incidents.services.reports.resolved_by_first_team``: never reassigned, never escalated)
  over the incidents resolved in the period; the totals also carry the contacts' rate from
  ``first_contact_resolution``;
* **reassignment rate and distribution**: of the tickets resolved in the period, the share
  with at least one hand-off, and how many had 0, 1, 2, 3 or more; a hand-off is an audit
  entry changing the team or the assignee away from somebody (``lifecycle.hand_off``);
* **reopen rate**: of the tickets resolved in the period, the share with a reopening entry
  (resolved or closed back to open, ``lifecycle.reopening``) before the period's end;
* **SLA attainment**: the SLA compliance report (``sla.services.reports.compliance``): clocks
  of the kind that stopped met or breached in the period, met / (met + breached);
* **change success rate**: changes closed in the period with an outcome: successful or
  successful with issues, over all with an outcome;
* **backlog**: open tickets at the end of each day (or week, for periods over 92 days), from
  the audit history of states: tickets entering an open state (created open, reopened) add
  one, tickets leaving it (resolved, closed, cancelled) take one away, summed up to each end;
* **per service / per configuration item**: tickets opened in the period, the top ten each.

``group_by`` splits every figure by the ticket's (current) service, team, priority or
category, or by the month of the figure's own timestamp (opened figures by the month of
``opened_at``, resolution figures by that of ``resolved_at``...). The backlog is split by
service, team, priority or category, not by month.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import (
    Avg,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models import Case as SqlCase
from django.db.models.functions import Coalesce, RowNumber, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from steward.core.errors import Forbidden, RuleViolation
from steward.core.policy import scope
from steward.governance.models import VIEW_KPIS
from steward.governance.services import lifecycle
from steward.governance.services.lifecycle import Kind
from steward.tickets.choices import Priority

GROUPS = ("service", "team", "priority", "category", "month")
#: Periods longer than this get a weekly backlog, shorter ones a daily one.
DAILY_BACKLOG_DAYS = 92
TOP = 10
NONE_LABEL = "(none)"


def require_kpis(actor: Any) -> None:
    """Only holders of ``governance.view_kpis`` see KPIs (``None`` is the system)."""
    if actor is not None and not actor.has_perm(VIEW_KPIS):
        raise Forbidden("You may not see service KPIs.")


def day_range(since: date, until: date) -> tuple[datetime, datetime]:
    """Whole days ``since``..``until`` (both inclusive) as an aware half-open range."""
    if until < since:
        raise RuleViolation({"until": "The end is before the start."})
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone)
    return start, datetime.combine(until, time.min, tzinfo=zone) + timedelta(days=1)


def _share(part: int | None, whole: int | None) -> float | None:
    return part / whole if part is not None and whole else None


@dataclass
class KpiRow:
    """The figures of one group (``key`` ``None`` and label "All" for the totals)."""

    key: Any
    label: str
    opened: int = 0
    resolved: int = 0
    closed: int = 0
    mean_resolve_seconds: float | None = None
    median_resolve_seconds: float | None = None
    resolved_by_first_team: int | None = None
    reassigned: int = 0
    reopened: int = 0
    hand_offs: dict[str, int] = field(default_factory=lambda: {"0": 0, "1": 0, "2": 0, "3+": 0})
    sla_met: int = 0
    sla_breached: int = 0
    changes_with_outcome: int | None = None
    changes_successful: int | None = None

    @property
    def first_contact_rate(self) -> float | None:
        return _share(self.resolved_by_first_team, self.resolved)

    @property
    def reassignment_rate(self) -> float | None:
        return _share(self.reassigned, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        return _share(self.reopened, self.resolved)

    @property
    def sla_attainment(self) -> float | None:
        return _share(self.sla_met, self.sla_met + self.sla_breached)

    @property
    def change_success_rate(self) -> float | None:
        return _share(self.changes_successful, self.changes_with_outcome)

    def as_dict(self) -> dict[str, Any]:
        key = self.key.isoformat() if isinstance(self.key, date) else self.key
        return {
            "key": key,
            "label": self.label,
            "opened": self.opened,
            "resolved": self.resolved,
            "closed": self.closed,
            "mean_resolve_seconds": self.mean_resolve_seconds,
            "median_resolve_seconds": self.median_resolve_seconds,
            "resolved_by_first_team": self.resolved_by_first_team,
            "first_contact_rate": self.first_contact_rate,
            "reassigned": self.reassigned,
            "reassignment_rate": self.reassignment_rate,
            "hand_offs": dict(self.hand_offs),
            "reopened": self.reopened,
            "reopen_rate": self.reopen_rate,
            "sla_met": self.sla_met,
            "sla_breached": self.sla_breached,
            "sla_attainment": self.sla_attainment,
            "changes_with_outcome": self.changes_with_outcome,
            "changes_successful": self.changes_successful,
            "change_success_rate": self.change_success_rate,
        }


@dataclass(frozen=True)
class BacklogPoint:
    """Open tickets at ``at`` (the end of a day or week), in all and per group key."""

    at: datetime
    total: int
    by_group: dict[Any, int]


@dataclass(frozen=True)
class Tally:
    label: str
    count: int


@dataclass
class KpiReport:
    """The whole report: one row per group, the totals, the backlog series and top lists."""

    since: datetime
    until: datetime
    kind: str
    group_by: str | None
    interval: str
    rows: list[KpiRow]
    total: KpiRow
    backlog: list[BacklogPoint]
    per_service: list[Tally]
    per_ci: list[Tally]
    contacts_resolved_first: int | None = None
    contacts_handled: int | None = None

    @property
    def contact_rate(self) -> float | None:
        return _share(self.contacts_resolved_first, self.contacts_handled)

    def label_of(self, key: Any) -> str:
        return next((row.label for row in self.rows if row.key == key), str(key))

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "kind": self.kind,
            "group_by": self.group_by,
            "interval": self.interval,
            "rows": [row.as_dict() for row in self.rows],
            "total": self.total.as_dict(),
            "contacts": {
                "resolved_on_first_contact": self.contacts_resolved_first,
                "handled": self.contacts_handled,
                "rate": self.contact_rate,
            },
            "backlog": [
                {
                    "at": point.at.isoformat(),
                    "open": point.total,
                    "by_group": [
                        {"key": _json_key(key), "label": self.label_of(key), "open": count}
                        for key, count in point.by_group.items()
                    ],
                }
                for point in self.backlog
            ],
            "per_service": [{"label": c.label, "count": c.count} for c in self.per_service],
            "per_configuration_item": [{"label": c.label, "count": c.count} for c in self.per_ci],
        }


def _json_key(key: Any) -> Any:
    return key.isoformat() if isinstance(key, date) else key


# --- grouping -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grouping:
    """How one ``group_by`` reads a ticket query: the key and, where it has one, a label."""

    name: str | None
    kind: Kind

    def check(self) -> None:
        if self.name is not None and self.name not in GROUPS:
            raise RuleViolation({"group_by": f"Group by one of: {', '.join(GROUPS)}."})
        if self.name == "category" and not self.kind.has_field("category"):
            raise RuleViolation({"group_by": f"{self.kind.name}s have no category."})

    def key(self, anchor: str) -> Any:
        """The grouping expression on a query of the kind's model (``anchor``: the figure's
        timestamp, for months)."""
        if self.name == "month":
            return TruncMonth(anchor)
        return F(self.path)

    @property
    def path(self) -> str:
        return {"service": "service_id", "team": "team_id", "category": "category_id"}.get(
            self.name or "", self.name or ""
        )

    @property
    def label_path(self) -> str | None:
        return {"service": "service__name", "team": "team__name", "category": "category__name"}.get(
            self.name or ""
        )

    def label(self, key: Any, label: Any = None) -> str:
        if key is None:
            return NONE_LABEL
        if self.name == "priority":
            return str(Priority(key).label) if key in Priority.values else str(key)
        if self.name == "month":
            return f"{key:%Y-%m}"
        return str(label) if label is not None else str(key)


def _normal_key(grouping: _Grouping, key: Any) -> Any:
    """Months come back as datetimes from one database and dates from another: dates."""
    if grouping.name == "month" and isinstance(key, datetime):
        return timezone.localtime(key).date() if timezone.is_aware(key) else key.date()
    return key


def _grouped(
    grouping: _Grouping, query: QuerySet[Any], anchor: str, **aggregates: Any
) -> dict[Any, dict[str, Any]]:
    """``aggregates`` per group key (and, under ``None`` when not grouped, in all)."""
    if grouping.name is None:
        return {None: query.aggregate(**aggregates)}
    names = ["_key"]
    annotated = query.annotate(_key=grouping.key(anchor))
    if grouping.label_path:
        annotated = annotated.annotate(_label=F(grouping.label_path))
        names.append("_label")
    found: dict[Any, dict[str, Any]] = {}
    for row in annotated.order_by().values(*names).annotate(**aggregates):
        key = _normal_key(grouping, row.pop("_key"))
        row["_label"] = grouping.label(key, row.get("_label"))
        found[key] = row
    return found


# --- the figures --------------------------------------------------------------------------------


def _duration() -> ExpressionWrapper[Any]:
    return ExpressionWrapper(F("resolved_at") - F("opened_at"), output_field=DurationField())


def _seconds(value: Any) -> float | None:
    return value.total_seconds() if isinstance(value, timedelta) else None


def _medians(grouping: _Grouping, resolved: QuerySet[Any]) -> dict[Any, float]:
    """The median time to resolve per group: the middle one or two rows by window functions."""
    partition = [grouping.key("resolved_at")] if grouping.name is not None else None
    ranked = resolved.annotate(
        _key=grouping.key("resolved_at")
        if grouping.name is not None
        else Value(None, output_field=IntegerField()),
        _duration=_duration(),
        _rank=Window(RowNumber(), partition_by=partition, order_by=[_duration().asc(), "pk"]),
        _count=Window(Count("pk"), partition_by=partition),
    ).filter(_rank__gte=(F("_count") + 1) / 2, _rank__lte=(F("_count") + 2) / 2)
    middles: dict[Any, list[float]] = {}
    for key, duration in ranked.order_by().values_list("_key", "_duration"):
        seconds = _seconds(duration)
        if seconds is not None:
            middles.setdefault(_normal_key(grouping, key), []).append(seconds)
    return {key: sum(values) / len(values) for key, values in middles.items()}


def _hand_off_counts(kind: Kind) -> Coalesce:
    counted = (
        lifecycle.entries_of(kind)
        .filter(lifecycle.hand_off(kind))
        .values("object_type")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _distribution(
    grouping: _Grouping, kind: Kind, resolved: QuerySet[Any]
) -> dict[Any, dict[str, int]]:
    """How many resolved tickets had 0, 1, 2, 3+ hand-offs, per group (one grouped query)."""
    counted = resolved.annotate(
        _hand_offs=_hand_off_counts(kind),
        _key=grouping.key("resolved_at")
        if grouping.name is not None
        else Value(None, output_field=IntegerField()),
    )
    found: dict[Any, dict[str, int]] = {}
    rows = counted.order_by().values("_key", "_hand_offs").annotate(n=Count("pk"))
    for row in rows:
        key = _normal_key(grouping, row["_key"])
        bucket = str(row["_hand_offs"]) if row["_hand_offs"] < 3 else "3+"
        spread = found.setdefault(key, {"0": 0, "1": 0, "2": 0, "3+": 0})
        spread[bucket] += row["n"]
    return found


def _sla(
    grouping: _Grouping, kind: Kind, actor: Any, since: datetime, until: datetime
) -> dict[Any, tuple[int, int]] | None:
    """Met and breached clocks per group, from the SLA compliance report; ``None`` for
    somebody who may not see service levels."""
    from steward.sla.services.reports import compliance

    ticket_key: str | None = None
    if grouping.name in ("service", "team", "priority"):
        ticket_key = grouping.path
    elif grouping.name == "category":
        ticket_key = f"{kind.name}__category_id"
    try:
        rows = compliance(
            actor=actor, since=since, until=until, kind=kind.label, ticket_key=ticket_key
        )
    except Forbidden:
        return None
    found: dict[Any, tuple[int, int]] = {}
    for row in rows:
        if grouping.name is None:
            key = None
        elif grouping.name == "month":
            key = row.month
        else:
            key = row.group
        met, breached = found.get(key, (0, 0))
        found[key] = (met + row.met, breached + row.breached)
    return found


def _changes(
    grouping: _Grouping, actor: Any, since: datetime, until: datetime
) -> dict[Any, tuple[int, int]]:
    """Changes closed in the period with an outcome, and the successful ones, per group."""
    from steward.changes.choices import Outcome
    from steward.changes.models import Change

    changes: Any = Change.objects.filter(closed_at__gte=since, closed_at__lt=until).exclude(
        outcome=""
    )
    if actor is not None:
        changes = scope(changes, actor)
    name = grouping.name if grouping.name != "category" else None  # changes have none
    counted = _grouped(
        _Grouping(name, grouping.kind),
        changes,
        "closed_at",
        done=Count("pk"),
        good=Count("pk", filter=Q(outcome__in=(Outcome.SUCCESSFUL, Outcome.WITH_ISSUES))),
    )
    return {key: (row["done"], row["good"]) for key, row in counted.items()}


def _backlog(
    grouping: _Grouping,
    kind: Kind,
    tickets: QuerySet[Any],
    since: datetime,
    until: datetime,
) -> tuple[str, list[BacklogPoint]]:
    """Open tickets at each day's (week's) end, from the states in the audit log."""
    interval = "day" if (until - since).days <= DAILY_BACKLOG_DAYS else "week"
    delta = SqlCase(
        When(lifecycle.entering_open(kind), then=Value(1)),
        When(lifecycle.leaving_open(kind), then=Value(-1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    entries = lifecycle.ticket_entries(kind, tickets).filter(
        lifecycle.entering_open(kind) | lifecycle.leaving_open(kind), created_at__lt=until
    )
    split = grouping.name if grouping.name not in (None, "month") else None
    if split is not None:
        path = f"{kind.name}__category_id" if split == "category" else grouping.path
        from steward.tickets.models import Ticket

        entries = entries.annotate(
            _key=Subquery(
                Ticket.objects.filter(pk=OuterRef("ticket_id")).order_by().values(path)[:1]
            )
        )
    else:
        entries = entries.annotate(_key=Value(None, output_field=IntegerField()))
    zone = timezone.get_current_timezone()
    bucket = (TruncDay if interval == "day" else TruncWeek)("created_at", tzinfo=zone)
    # Open at the start: the tickets whose entries before it add up to one (entered an open
    # state more often than they left it), one index probe of the audit log per ticket. A
    # ticket opened later, or closed before the start and closed since (``closed_at`` is
    # cleared by every reopening), cannot be open then: it is not probed.
    net_before = (
        lifecycle.entries_of(kind)
        .filter(lifecycle.entering_open(kind) | lifecycle.leaving_open(kind), created_at__lt=since)
        .values("object_type")
        .annotate(net=Sum(delta))
        .values("net")
    )
    started = (
        tickets.filter(opened_at__lt=since)
        .exclude(closed_at__lt=since)
        .annotate(_net=Coalesce(Subquery(net_before, output_field=IntegerField()), 0))
        .filter(_net__gt=0)
        .order_by()
    )
    before: dict[Any, int] = {}
    if split is None:
        before[None] = started.count()
    else:
        path = "category_id" if split == "category" else grouping.path
        for row in started.values(_key=F(path)).annotate(n=Count("pk")):
            before[row["_key"]] = row["n"]
    moves: dict[Any, dict[Any, int]] = {}
    for row in (
        entries.filter(created_at__gte=since)
        .annotate(_bucket=bucket)
        .values("_bucket", "_key")
        .annotate(n=Sum(delta))
        .order_by()
    ):
        day = row["_bucket"]
        day = day.date() if isinstance(day, datetime) else day
        moves.setdefault(day, {})[row["_key"]] = row["n"] or 0
    # The running sum over at most a few hundred buckets: one step per day (week), not per
    # ticket; the per-ticket work was the grouped query above.
    running = dict(before)
    points = []
    step = timedelta(days=1 if interval == "day" else 7)
    start = since.astimezone(zone).date()
    if interval == "week":
        start -= timedelta(days=start.weekday())
    day = start
    while datetime.combine(day, time.min, tzinfo=zone) < until:
        for key, n in moves.get(day, {}).items():
            running[key] = running.get(key, 0) + n
        end = min(datetime.combine(day + step, time.min, tzinfo=zone), until)
        points.append(
            BacklogPoint(
                at=end,
                total=sum(running.values()),
                by_group={k: v for k, v in running.items() if v} if split else {},
            )
        )
        day += step
    return interval, points


def _top(query: QuerySet[Any], path: str, label: str) -> list[Tally]:
    rows = (
        query.exclude(**{f"{path}__isnull": True})
        .values(path, label)
        .annotate(n=Count("pk"))
        .order_by("-n", label)[:TOP]
    )
    return [Tally(label=str(row[label]), count=row["n"]) for row in rows]


def kpi_report(
    *,
    actor: Any,
    since: datetime,
    until: datetime,
    kind: str = "incident",
    group_by: str | None = None,
) -> KpiReport:
    """The KPIs of ``kind``'s tickets over ``[since, until)`` (see the module docstring)."""
    require_kpis(actor)
    if until <= since:
        raise RuleViolation({"until": "The end is before the start."})
    the_kind = lifecycle.kind_named(kind)
    grouping = _Grouping(group_by or None, the_kind)
    grouping.check()
    tickets: QuerySet[Any] = the_kind.model._default_manager.all()
    if actor is not None:
        tickets = scope(tickets, actor)
    in_period = {"__gte": since, "__lt": until}

    def within(stamp: str) -> QuerySet[Any]:
        return tickets.filter(**{f"{stamp}{op}": value for op, value in in_period.items()})

    resolved = within("resolved_at")
    reopened = Exists(
        lifecycle.entries_of(the_kind).filter(lifecycle.reopening(the_kind), created_at__lt=until)
    )
    handed_off = Exists(lifecycle.entries_of(the_kind).filter(lifecycle.hand_off(the_kind)))
    resolution_figures: dict[str, Any] = {
        "n": Count("pk"),
        "mean": Avg(_duration()),
        "reopened": Count("pk", filter=reopened),
        "reassigned": Count("pk", filter=handed_off),
    }
    is_incident = the_kind.label == "incidents.incident"
    if is_incident:
        from steward.incidents.services.reports import resolved_by_first_team

        resolution_figures["first_team"] = Count("pk", filter=resolved_by_first_team())

    def collect(active: _Grouping) -> dict[Any, KpiRow]:
        rows: dict[Any, KpiRow] = {}

        def row(key: Any, label: str | None = None) -> KpiRow:
            if key not in rows:
                rows[key] = KpiRow(key=key, label=label or active.label(key))
            return rows[key]

        for stamp in ("opened_at", "closed_at"):
            for key, values in _grouped(active, within(stamp), stamp, n=Count("pk")).items():
                setattr(row(key, values.get("_label")), stamp.removesuffix("_at"), values["n"])
        for key, values in _grouped(active, resolved, "resolved_at", **resolution_figures).items():
            target = row(key, values.get("_label"))
            target.resolved = values["n"]
            target.mean_resolve_seconds = _seconds(values["mean"])
            target.reopened = values["reopened"]
            target.reassigned = values["reassigned"]
            if is_incident:
                target.resolved_by_first_team = values["first_team"]
        for key, median in _medians(active, resolved).items():
            row(key).median_resolve_seconds = median
        for key, spread in _distribution(active, the_kind, resolved).items():
            row(key).hand_offs = spread
        for key, (met, breached) in (_sla(active, the_kind, actor, since, until) or {}).items():
            target = row(key)
            target.sla_met, target.sla_breached = met, breached
        if active.name != "category":
            for target in rows.values():
                target.changes_with_outcome = target.changes_successful = 0
            for key, (done, good) in _changes(active, actor, since, until).items():
                target = row(key)
                target.changes_with_outcome, target.changes_successful = done, good
        return rows

    if grouping.name is None:
        grouped: dict[Any, KpiRow] = {}
        total = collect(grouping).get(None) or KpiRow(key=None, label="All")
    else:
        grouped = collect(grouping)
        if grouping.label_path:
            _label_groups(grouping, grouped)
        # Every ticket (clock, change) falls in exactly one group, so the totals are the
        # groups' sums; only the median needs the whole population again.
        total = _summed(grouped.values(), _medians(_Grouping(None, the_kind), resolved))
        if grouping.name == "category":  # changes were not split: count them once
            done, good = _changes(_Grouping(None, the_kind), actor, since, until)[None]
            total.changes_with_outcome, total.changes_successful = done, good
    total.label = "All"
    rows = sorted(grouped.values(), key=_order)
    interval, backlog = _backlog(grouping, the_kind, tickets, since, until)
    opened = within("opened_at")
    report = KpiReport(
        since=since,
        until=until,
        kind=the_kind.name,
        group_by=grouping.name,
        interval=interval,
        rows=rows,
        total=total,
        backlog=backlog,
        per_service=_top(opened, "service", "service__name"),
        per_ci=_top(opened, "configuration_item", "configuration_item__name"),
    )
    if is_incident:
        from steward.incidents.services.reports import first_contact_resolution

        contacts = first_contact_resolution(actor=actor, since=since, until=until)
        report.contacts_resolved_first = contacts.interactions_resolved
        report.contacts_handled = contacts.interactions_handled
    return report


def _summed(rows: Iterable[KpiRow], medians: dict[Any, float]) -> KpiRow:
    """The totals of groups that split the population (no ticket in two groups)."""
    total = KpiRow(key=None, label="All")
    weighted = 0.0
    for row in rows:
        total.opened += row.opened
        total.resolved += row.resolved
        total.closed += row.closed
        total.reassigned += row.reassigned
        total.reopened += row.reopened
        total.sla_met += row.sla_met
        total.sla_breached += row.sla_breached
        if row.mean_resolve_seconds is not None:
            weighted += row.mean_resolve_seconds * row.resolved
        if row.resolved_by_first_team is not None:
            total.resolved_by_first_team = (
                total.resolved_by_first_team or 0
            ) + row.resolved_by_first_team
        if row.changes_with_outcome is not None:
            total.changes_with_outcome = (
                total.changes_with_outcome or 0
            ) + row.changes_with_outcome
            total.changes_successful = (total.changes_successful or 0) + (
                row.changes_successful or 0
            )
        for bucket, count in row.hand_offs.items():
            total.hand_offs[bucket] += count
    total.mean_resolve_seconds = weighted / total.resolved if total.resolved else None
    total.median_resolve_seconds = medians.get(None)
    return total


def _label_groups(grouping: _Grouping, rows: dict[Any, KpiRow]) -> None:
    """Groups that only the SLA or change figures named still need their names."""
    unnamed = [key for key, row in rows.items() if key is not None and row.label == str(key)]
    if not unnamed:
        return
    related = grouping.kind.model._meta.get_field(grouping.name or "").related_model
    assert related is not None
    names = dict(related._default_manager.filter(pk__in=unnamed).values_list("pk", "name"))
    for key in unnamed:
        rows[key].label = str(names.get(key, key))


def _order(row: KpiRow) -> tuple[int, Any]:
    if row.key is None:
        return (1, "")
    if isinstance(row.key, int | date):
        return (0, row.key)
    return (0, row.label)
