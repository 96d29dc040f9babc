"""Schedule conflicts of a change: who else works on the same or related CIs at that time,
whether the period fits the CIs' maintenance windows, and whether it falls in a freeze.

:func:`detect` takes a change (saved or not), a proposed start and end and the CIs it
touches, and returns structured :class:`ScheduleConflict` rows; it writes nothing, so forms
and the API call it before saving. Four kinds (``ConflictKind``):

* ``same_ci`` / ``related_ci``: another change *occupies the schedule* (planned start and
  end set, not closed or cancelled) in an overlapping period, on one of the CIs, or on a CI
  related to one of them within ``hops`` relationships, either way (parents, children, and
  the services they share). The CMDB is walked in the database by one ``WITH RECURSIVE``
  query over ``cmdb_relationship`` (indexed on both ends), written in the SQL SQLite and
  PostgreSQL share; only the CIs reached come back, each at its nearest depth with one
  shortest path, and the path is shown as ``A -runs on-> B <-runs on- C``.
* ``outside_window``: a CI (or the change's service) has maintenance windows and the period
  is not wholly inside them.
* ``blackout``: the period overlaps a freeze for every change, or for a service that is the
  change's service or among the CIs reached.

Whether a conflict only warns or blocks is the site's ``SchedulePolicy`` (a blackout's own
policy for blackouts). :func:`check_schedule` is what scheduling calls: it refuses a period
with blocking conflicts unless a reason is given, and records that override (audited).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from steward.cmdb.models import ConfigurationItem, Relationship
from steward.core import audit, policy
from steward.core.calendars import BusinessCalendar, working_intervals
from steward.core.errors import Forbidden, RuleViolation
from steward.core.workflow import Category

from .models import Change
from .models_schedule import (
    MAX_HOPS,
    BlackoutWindow,
    ConflictAction,
    ConflictKind,
    ConflictOverride,
    MaintenanceWindow,
    SchedulePolicy,
    WindowKind,
)

#: States in which a change's planned period is checked whenever it is set or moved.
SCHEDULED_STATES = ("scheduled",)


@dataclass(frozen=True)
class Step:
    """One hop of a path: from the previous CI along a relationship to ``ci``."""

    ci_id: int
    ci_name: str
    relation: str
    forward: bool  # True: previous CI -relation-> ci; False: previous CI <-relation- ci


@dataclass
class ScheduleConflict:
    """One reason the proposed period conflicts, and whether it blocks."""

    kind: str
    action: str
    message: str
    ci_id: int | None = None
    ci_name: str = ""
    start_ci_id: int | None = None
    start_ci_name: str = ""
    path: list[Step] = field(default_factory=list)
    change_id: int | None = None
    change_number: str = ""
    change_title: str = ""
    change_start: datetime | None = None
    change_end: datetime | None = None
    blackout_id: int | None = None
    window_ids: list[int] = field(default_factory=list)
    overridden: bool = False

    @property
    def key(self) -> str:
        """What an override names: the kind and the other change, freeze or CI."""
        if self.kind in (ConflictKind.SAME_CI, ConflictKind.RELATED_CI):
            return f"change:{self.change_id}"
        if self.kind == ConflictKind.BLACKOUT:
            return f"blackout:{self.blackout_id}"
        return f"window:{self.ci_id}"

    @property
    def blocks(self) -> bool:
        return self.action == ConflictAction.BLOCK and not self.overridden

    @property
    def kind_label(self) -> str:
        return str(ConflictKind(self.kind).label)

    def path_text(self) -> str:
        """``A -runs on-> B <-runs on- C`` (empty for a conflict without a path)."""
        if not self.path:
            return ""
        parts = [self.start_ci_name]
        for step in self.path:
            arrow = f"-{step.relation}->" if step.forward else f"<-{step.relation}-"
            parts.append(f"{arrow} {step.ci_name}")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["key"] = self.key
        data["blocks"] = self.blocks
        data["path_text"] = self.path_text()
        return data


# --- the CMDB walk and the other changes, in one query -------------------------------------


def _conflict_sql(start_count: int) -> str:
    """Walk relationships both ways from the start CIs to ``hops``; keep each CI reached at
    its nearest depth with its smallest path (``start/rel:fwd/rel:fwd``); return the changes
    occupying an overlapping period on a CI reached, and the freezes overlapping it that
    cover every change, the change's service or a service reached."""
    rel = Relationship._meta.db_table
    change = Change._meta.db_table
    ticket = Change._meta.get_field("ticket_ptr").related_model._meta.db_table
    through: Any = Change._meta.get_field("affected_cis").remote_field.through._meta  # type: ignore[union-attr]
    through_table = through.db_table
    through_change = through.get_field("change").column
    through_ci = through.get_field("configurationitem").column
    blackout = BlackoutWindow._meta.db_table
    starts = ", ".join(["(CAST(%s AS BIGINT))"] * start_count)
    return (
        "WITH RECURSIVE start_ci(ci_id) AS (VALUES " + starts + "),"
        " walk(ci_id, depth, path) AS ("
        " SELECT ci_id, 0, CAST(ci_id AS TEXT) FROM start_ci"
        " UNION"
        " SELECT CASE WHEN r.source_id = w.ci_id THEN r.target_id ELSE r.source_id END,"
        " w.depth + 1,"
        " w.path || '/' || CAST(r.id AS TEXT)"
        " || CASE WHEN r.source_id = w.ci_id THEN ':1' ELSE ':0' END"
        f" FROM walk w JOIN {rel} r ON (r.source_id = w.ci_id OR r.target_id = w.ci_id)"
        " WHERE w.depth < %s"
        "), nearest(ci_id, depth) AS ("
        " SELECT ci_id, MIN(depth) FROM walk GROUP BY ci_id"
        "), reached(ci_id, depth, path) AS ("
        " SELECT w.ci_id, w.depth, MIN(w.path) FROM walk w"
        " JOIN nearest n ON n.ci_id = w.ci_id AND n.depth = w.depth"
        " GROUP BY w.ci_id, w.depth"
        "), touching(change_id, ci_id) AS ("
        f" SELECT m.{through_change}, m.{through_ci} FROM reached r"
        f" JOIN {through_table} m ON m.{through_ci} = r.ci_id"
        " UNION"
        f" SELECT t.id, t.configuration_item_id FROM reached r"
        f" JOIN {ticket} t ON t.configuration_item_id = r.ci_id"
        ")"
        " SELECT 'change', c.ticket_ptr_id, r.ci_id, r.depth, r.path"
        f" FROM touching x JOIN reached r ON r.ci_id = x.ci_id"
        f" JOIN {change} c ON c.ticket_ptr_id = x.change_id"
        f" JOIN {ticket} t ON t.id = c.ticket_ptr_id"
        " WHERE c.planned_start < %s AND c.planned_end > %s"
        " AND t.state_category <> %s AND c.ticket_ptr_id <> %s"
        " UNION ALL"
        " SELECT 'blackout', b.id, r.ci_id, r.depth, r.path"
        f" FROM {blackout} b LEFT JOIN reached r ON r.ci_id = b.service_id"
        " WHERE b.starts_at < %s AND b.ends_at > %s"
        " AND (b.service_id IS NULL OR r.ci_id IS NOT NULL OR b.service_id = %s)"
    )


def _db_time(value: datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _walk(
    *,
    change_id: int,
    start: datetime,
    end: datetime,
    ci_ids: Sequence[int],
    hops: int,
    service_id: int | None,
) -> list[tuple[str, int, int | None, int | None, str | None]]:
    """Rows ``(what, id, ci reached, depth, path)`` for the changes and freezes found."""
    if ci_ids:
        sql = _conflict_sql(len(ci_ids))
        params: list[Any] = [*ci_ids, hops]
    else:  # no CI: only the freezes for everything or for the change's service apply
        sql = _conflict_sql(1).replace(
            "VALUES (CAST(%s AS BIGINT))", "SELECT CAST(NULL AS BIGINT) WHERE 1 = 0"
        )
        params = [hops]
    params += [
        _db_time(end),
        _db_time(start),
        Category.CLOSED,
        change_id,
        _db_time(end),
        _db_time(start),
        service_id if service_id is not None else -1,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            (str(w), int(pk), ci, None if d is None else int(d), p)
            for w, pk, ci, d, p in cursor.fetchall()
        ]


def _decode_paths(paths: Iterable[str]) -> dict[str, tuple[int, list[Step]]]:
    """``start/rel:fwd/...`` to (start CI id, steps), with two queries for all paths."""
    parsed: dict[str, tuple[int, list[tuple[int, bool]]]] = {}
    rel_ids: set[int] = set()
    for path in paths:
        first, *hops = path.split("/")
        steps = [(int(part.split(":")[0]), part.endswith(":1")) for part in hops]
        rel_ids.update(r for r, _ in steps)
        parsed[path] = (int(first), steps)
    relations = {
        r.pk: r
        for r in Relationship.objects.filter(pk__in=rel_ids)
        .select_related("type", "source", "target")
        .only("type__name", "source__name", "target__name")
    }
    decoded: dict[str, tuple[int, list[Step]]] = {}
    for path, (head, steps) in parsed.items():
        shown: list[Step] = []
        for rel_id, forward in steps:
            relation = relations.get(rel_id)
            if relation is None:  # removed meanwhile
                break
            there = relation.target if forward else relation.source
            shown.append(Step(there.pk, there.name, relation.type.name, forward))
        decoded[path] = (head, shown)
    return decoded


# --- maintenance windows -----------------------------------------------------------------


def window_intervals(
    window: MaintenanceWindow, start: datetime, end: datetime
) -> list[tuple[datetime, datetime]]:
    """The instants of ``window`` within ``[start, end)``, as UTC pairs."""
    if window.kind == WindowKind.ONE_OFF:
        assert window.starts_at is not None and window.ends_at is not None
        low, high = max(start, window.starts_at), min(end, window.ends_at)
        return [(low, high)] if low < high else []
    return list(working_intervals(calendar_of(window), start, end))


def calendar_of(window: MaintenanceWindow) -> BusinessCalendar:
    """A weekly window as a business calendar (no holidays): its weekly ranges in its zone."""
    assert window.start_time is not None and window.end_time is not None
    hours = {int(day): [(window.start_time, window.end_time)] for day in window.weekdays}
    return BusinessCalendar(time_zone=window.time_zone, hours=hours)


def uncovered(windows: Iterable[MaintenanceWindow], start: datetime, end: datetime) -> timedelta:
    """How much of ``[start, end)`` none of ``windows`` covers."""
    pieces = sorted(p for w in windows for p in window_intervals(w, start, end))
    covered = timedelta(0)
    cursor = start
    for low, high in pieces:
        low = max(low, cursor)
        if high > low:
            covered += high - low
            cursor = high
    return (end - start) - covered


def _window_conflicts(
    ci_ids: Sequence[int], service_id: int | None, start: datetime, end: datetime, action: str
) -> list[ScheduleConflict]:
    checked = [*ci_ids, *([service_id] if service_id else [])]
    by_ci: dict[int, list[MaintenanceWindow]] = {}
    for window in (
        MaintenanceWindow.objects.filter(configuration_item_id__in=checked)
        .order_by("configuration_item_id", "id")
        .select_related("configuration_item")
    ):
        by_ci.setdefault(window.configuration_item_id, []).append(window)
    found = []
    for ci_id, windows in by_ci.items():
        missing = uncovered(windows, start, end)
        if missing > timedelta(0):
            name = windows[0].configuration_item.name
            allowed = "; ".join(w.describe() for w in windows)
            found.append(
                ScheduleConflict(
                    kind=ConflictKind.OUTSIDE_WINDOW,
                    action=action,
                    message=(
                        f"{_hours(missing)} of the period is outside the maintenance windows "
                        f"of {name} ({allowed})."
                    ),
                    ci_id=ci_id,
                    ci_name=name,
                    window_ids=[w.pk for w in windows],
                )
            )
    return found


def _hours(span: timedelta) -> str:
    minutes = int(span.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


# --- detect ------------------------------------------------------------------------------


def current_policy() -> SchedulePolicy:
    """The site's schedule policy (its defaults until a change manager saves one)."""
    return SchedulePolicy.objects.filter(pk=1).first() or SchedulePolicy(pk=1)


def change_ci_ids(change: Change) -> list[int]:
    """The CIs a change touches: its affected CIs and its primary CI."""
    ids: list[int] = []
    if change.pk is not None:
        ids = list(change.affected_cis.order_by("pk").values_list("pk", flat=True))
    if change.configuration_item_id and change.configuration_item_id not in ids:
        ids.append(change.configuration_item_id)
    return ids


def detect(
    change: Change,
    start: datetime,
    end: datetime,
    ci_ids: Iterable[int] | None = None,
    hops: int | None = None,
) -> list[ScheduleConflict]:
    """The conflicts of ``change`` planned for ``[start, end)`` on ``ci_ids`` (default: the
    change's CIs) within ``hops`` CMDB hops (default: the policy's). Writes nothing."""
    if start.tzinfo is None or end.tzinfo is None:
        raise RuleViolation({"planned_start": "Give the time with its time zone."})
    if end <= start:
        raise RuleViolation({"planned_end": "The planned end must be after the planned start."})
    rules = current_policy()
    hops = rules.hops if hops is None else hops
    if not 1 <= hops <= MAX_HOPS:
        raise RuleViolation({"hops": f"Choose from 1 to {MAX_HOPS} hops."})
    ids = list(
        dict.fromkeys(int(pk) for pk in (change_ci_ids(change) if ci_ids is None else ci_ids))
    )
    service_id = change.service_id
    rows = _walk(
        change_id=change.pk or -1,
        start=start,
        end=end,
        ci_ids=ids,
        hops=hops,
        service_id=service_id,
    )
    nearest: dict[tuple[str, int], tuple[int | None, int | None, str | None]] = {}
    for what, pk, ci, depth, path in rows:
        known = nearest.get((what, pk))
        if known is None or (depth is not None and (known[1] is None or depth < known[1])):
            nearest[(what, pk)] = (ci, depth, path)
    found: list[ScheduleConflict] = []
    if nearest:  # the names, paths, changes and freezes found: none to read when clear
        found = _describe(nearest, rules)
    found += _window_conflicts(
        ids, service_id, start, end, rules.action_for(ConflictKind.OUTSIDE_WINDOW)
    )
    return found


def _describe(
    nearest: dict[tuple[str, int], tuple[int | None, int | None, str | None]],
    rules: SchedulePolicy,
) -> list[ScheduleConflict]:
    """The conflicts the walk found, with names, paths and the other changes' facts."""
    decoded = _decode_paths(p for _ci, _d, p in nearest.values() if p)
    names = dict(
        ConfigurationItem.objects.filter(
            pk__in={ci for ci, _d, _p in nearest.values() if ci is not None}
            | {head for head, _steps in decoded.values()}
        ).values_list("pk", "name")
    )
    other_ids = [pk for (what, pk) in nearest if what == "change"]
    others = {
        c.pk: c
        for c in Change.objects.filter(pk__in=other_ids).only(
            "number", "title", "planned_start", "planned_end"
        )
    }
    blackouts = {
        b.pk: b
        for b in BlackoutWindow.objects.filter(
            pk__in=[pk for (what, pk) in nearest if what == "blackout"]
        ).select_related("service")
    }
    found: list[ScheduleConflict] = []
    for (what, pk), (ci, depth, path) in sorted(
        nearest.items(), key=lambda item: (item[0][0], item[1][1] or 0, item[0][1])
    ):
        head, steps = decoded.get(path or "", (None, []))
        ci_name = names.get(ci, "") if ci is not None else ""
        if what == "change":
            other = others[pk]
            kind = ConflictKind.SAME_CI if depth == 0 else ConflictKind.RELATED_CI
            on = ci_name if depth == 0 else f"{ci_name} ({depth} hops away)"
            conflict = ScheduleConflict(
                kind=kind,
                action=rules.action_for(kind),
                message=(
                    f"{other.number} “{other.title}” is planned "
                    f"{_span(other.planned_start, other.planned_end)} on {on}."
                ),
                change_id=pk,
                change_number=other.number,
                change_title=other.title,
                change_start=other.planned_start,
                change_end=other.planned_end,
            )
        else:
            freeze = blackouts[pk]
            scope = f"for {freeze.service}" if freeze.service_id else "for all changes"
            conflict = ScheduleConflict(
                kind=ConflictKind.BLACKOUT,
                action=freeze.policy,
                message=(
                    f"Blackout “{freeze.name}” {scope}, {_span(freeze.starts_at, freeze.ends_at)}."
                ),
                blackout_id=pk,
            )
        if ci is not None:
            conflict.ci_id, conflict.ci_name, conflict.path = ci, ci_name, steps
            conflict.start_ci_id = head
            conflict.start_ci_name = names.get(head, "") if head is not None else ""
        found.append(conflict)
    return found


def _span(start: datetime | None, end: datetime | None) -> str:
    if start is None or end is None:
        return ""
    zone = timezone.get_current_timezone()
    low, high = timezone.localtime(start, zone), timezone.localtime(end, zone)
    return f"{low:%Y-%m-%d %H:%M} - {high:%Y-%m-%d %H:%M}"


# --- overrides and the check scheduling runs -----------------------------------------------


def overridden_keys(change: Change, start: datetime, end: datetime) -> set[str]:
    """Conflict keys overridden for this change and exactly this period."""
    keys: set[str] = set()
    if change.pk is None:
        return keys
    for names in ConflictOverride.objects.filter(
        change=change, planned_start=start, planned_end=end
    ).values_list("conflicts", flat=True):
        keys.update(names)
    return keys


def evaluate(
    change: Change,
    start: datetime,
    end: datetime,
    ci_ids: Iterable[int] | None = None,
    hops: int | None = None,
) -> list[ScheduleConflict]:
    """``detect``, with the conflicts already overridden for this period marked so."""
    found = detect(change, start, end, ci_ids, hops)
    keys = overridden_keys(change, start, end)
    for conflict in found:
        conflict.overridden = conflict.action == ConflictAction.BLOCK and conflict.key in keys
    return found


def may_override(actor: Any) -> bool:
    return actor is None or policy.has_model_permission(actor, ConflictOverride, "add")


@transaction.atomic
def check_schedule(
    *,
    actor: Any,
    change: Change,
    start: datetime,
    end: datetime,
    ci_ids: Iterable[int] | None = None,
    override_reason: str = "",
) -> list[ScheduleConflict]:
    """What scheduling calls before it sets ``planned_start``/``planned_end``.

    Returns the conflicts (warnings included). Blocking conflicts refuse the period with a
    ``RuleViolation`` naming them, unless ``override_reason`` is given by someone allowed to
    override (``changes.add_conflictoverride``): then the override is recorded and audited,
    and the period may be saved.
    """
    found = evaluate(change, start, end, ci_ids)
    blocking = [c for c in found if c.blocks]
    if not blocking:
        return found
    reason = override_reason.strip()
    if not reason:
        raise RuleViolation(
            {
                "planned_start": [
                    "The period has blocking conflicts: "
                    + " ".join(c.message for c in blocking)
                    + " Choose another time or override with a reason."
                ]
            }
        )
    if change.pk is None:
        raise RuleViolation({"override_reason": "Save the change before overriding conflicts."})
    if not may_override(actor):
        raise Forbidden("You may not override schedule conflicts.")
    record_override(
        actor=actor, change=change, start=start, end=end, conflicts=blocking, reason=reason
    )
    for conflict in blocking:
        conflict.overridden = True
    return found


def record_override(
    *,
    actor: Any,
    change: Change,
    start: datetime,
    end: datetime,
    conflicts: Sequence[ScheduleConflict],
    reason: str,
) -> ConflictOverride:
    """Record (and audit) that ``conflicts`` may be ignored for this period of the change."""
    override = ConflictOverride.objects.create(
        change=change,
        plan_revision=getattr(change, "plan_revision", 1) or 1,
        planned_start=start,
        planned_end=end,
        conflicts=sorted({c.key for c in conflicts}),
        reason=reason,
        overridden_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    audit.record(
        actor=actor,
        action="change.conflicts_overridden",
        obj=change,
        changes={
            "override": override.pk,
            "planned_start": start,
            "planned_end": end,
            "conflicts": [c.message for c in conflicts],
            "reason": reason,
        },
    )
    return override


def blocking_refusal(change: Change) -> str | None:
    """Why the change's planned period may not be scheduled (``None``: it may).

    The workflow guard and the scheduling hook use it: blocking conflicts not overridden
    for exactly this period refuse.
    """
    start, end = change.planned_start, change.planned_end
    if start is None or end is None:
        return None
    blocking = [c for c in evaluate(change, start, end) if c.blocks]
    if not blocking:
        return None
    return (
        "The planned period has blocking conflicts: "
        + " ".join(c.message for c in blocking)
        + " Choose another time or override them with a reason."
    )
