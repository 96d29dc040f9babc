"""A ticket's clocks, from its audit history: attach, sync, replay and explain.

``sync_clocks`` runs inside every ticket change (through the audit listener and the workflow
effects ``sla.start``/``pause``/``resume``/``stop``): it reads the ticket's history from the
audit log, finds which targets its selecting fields chose at each moment, lets ``sla.engine``
compute every clock and writes what changed, auditing each clock's change of state. ``replay``
is the same computation without writing, so a live clock and its replay agree by
construction; the tests hold both to a brute-force reference.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holiday_data
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Organisation
from steward.core import audit, policy
from steward.core.calendars import BusinessCalendar as Calendar
from steward.core.errors import Forbidden
from steward.core.models import AuditEntry
from steward.sla import engine
from steward.sla.choices import ClockState
from steward.sla.models import SlaClock, Target
from steward.sla.services.candidates import Candidates, candidates_for
from steward.tickets.models import Ticket, specific

#: The ticket fields that choose agreements and targets (ids for relations).
SELECTING = ("priority", "organisation", "service", "team", "category")
#: The field of ticket kinds that have categories (incidents).
CATEGORY: str = "category"


def _parse_time(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)


# --- history ----------------------------------------------------------------------------------


def _entries(ticket: Ticket) -> list[AuditEntry]:
    kinds = {ticket.kind, Ticket._meta.label_lower}
    return list(
        AuditEntry.objects.filter(object_type__in=kinds, object_id=str(ticket.pk))
        .only("id", "created_at", "action", "changes")
        .order_by("created_at", "id")
    )


def _current_values(own: Ticket) -> dict[str, Any]:
    return {
        "priority": own.priority,
        "organisation": own.organisation_id,
        "service": own.service_id,
        "team": own.team_id,
        "category": getattr(own, "category_id", None),
    }


def _category_codes(own: Ticket, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    field: Any = own._meta.get_field(CATEGORY)
    model = field.related_model
    return dict(model._default_manager.filter(pk__in=ids).values_list("pk", "code"))


def _reason(changes: Mapping[str, Any]) -> str:
    parts = []
    for name in SELECTING:
        pair = changes.get(name)
        if isinstance(pair, list) and len(pair) == 2:
            parts.append(f"{name} {pair[0]} -> {pair[1]}")
    return ", ".join(parts)


def history_of(
    ticket: Ticket, candidates: Candidates, kept: frozenset[int] = frozenset()
) -> engine.History:
    """The ticket's life as the engine sees it, from its audit entries (oldest first)."""
    entries = _entries(ticket)
    current = _current_values(ticket)
    # Walk back from today's values to the values at opening.
    values = dict(current)
    creation = next((e for e in entries if e.action.endswith(".created")), None)
    for entry in reversed(entries):
        if entry is creation:
            break
        for name in SELECTING:
            pair = (entry.changes or {}).get(name)
            if isinstance(pair, list) and len(pair) == 2:
                values[name] = pair[0]
    if creation is not None:
        for name in SELECTING:
            pair = (creation.changes or {}).get(name)
            if isinstance(pair, list) and len(pair) == 2:
                values[name] = pair[1]
    # Everything matching needs to know about the values met on the way.
    orgs: set[int] = set()
    categories: set[int] = set()
    timeline: list[tuple[AuditEntry, dict[str, Any]]] = []
    running = dict(values)
    for value in (running["organisation"], current["organisation"]):
        if value is not None:
            orgs.add(int(value))
    if running["category"] is not None:
        categories.add(int(running["category"]))
    for entry in entries:
        if entry is creation:
            continue
        changes = entry.changes or {}
        for name in SELECTING:
            pair = changes.get(name)
            if isinstance(pair, list) and len(pair) == 2:
                running[name] = pair[1]
                if name == "organisation" and pair[1] is not None:
                    orgs.add(int(pair[1]))
                if name == "category" and pair[1] is not None:
                    categories.add(int(pair[1]))
        timeline.append((entry, dict(running)))
    candidates.paths.update(
        dict(Organisation.objects.filter(pk__in=orgs).values_list("pk", "path"))
    )
    codes = _category_codes(ticket, categories)

    def select(vals: Mapping[str, Any], at: datetime) -> frozenset[int]:
        cat = vals.get("category")
        return candidates.select(
            {**vals, "category_code": codes.get(int(cat), "") if cat is not None else ""},
            at,
            kept,
        )

    opened_at = ticket.opened_at.astimezone(UTC)
    # Why the ticket waits (an incident's hold reason) qualifies its state for the conditions.
    # The reason is set along with the transition into a waiting state (or edited there) and
    # ends with the state: a transition that does not set it leaves it empty.
    reason_field = getattr(type(ticket), "state_reason_field", "")
    initial_state = ticket.state
    waits_for = ""
    if creation is not None:
        pair = (creation.changes or {}).get("state")
        if isinstance(pair, list) and len(pair) == 2:
            initial_state = pair[1]
        pair = (creation.changes or {}).get(reason_field) if reason_field else None
        if isinstance(pair, list) and len(pair) == 2:
            waits_for = pair[1] or ""
    else:  # a ticket older than its audit trail: its current state since opening
        initial_state = ticket.state
        waits_for = (getattr(ticket, reason_field, "") or "") if reason_field else ""
    state_now = initial_state
    steps: list[engine.Step] = []
    selected = select(values, opened_at)
    for entry, vals in timeline:
        changes = entry.changes or {}
        at = max(entry.created_at.astimezone(UTC), opened_at)
        state_pair = changes.get("state")
        state = state_pair[1] if isinstance(state_pair, list) and len(state_pair) == 2 else None
        new_wait: str | None = None
        if reason_field:
            pair = changes.get(reason_field)
            if isinstance(pair, list) and len(pair) == 2:
                new_wait = pair[1] or ""
            elif state is not None:
                new_wait = ""
        step_state: str | None = None
        if state is not None or (new_wait is not None and new_wait != waits_for):
            state_now = state if state is not None else state_now
            waits_for = new_wait if new_wait is not None else waits_for
            step_state = engine.qualified(state_now, waits_for)
        reason = _reason(changes)
        now_selected = select(vals, at) if reason else None
        if step_state is None and now_selected is None:
            continue
        steps.append(engine.Step(at=at, state=step_state, selected=now_selected, reason=reason))
    if ticket.first_response_at is not None:
        steps.append(
            engine.Step(at=max(ticket.first_response_at.astimezone(UTC), opened_at), responded=True)
        )
    steps.sort(key=lambda s: s.at)  # stable: entries keep their order
    return engine.History(
        opened_at=opened_at,
        state=engine.qualified(initial_state, waits_for),
        selected=selected,
        steps=tuple(steps),
    )


# --- computing and writing --------------------------------------------------------------------


@dataclass(frozen=True)
class Computed:
    target: Target
    spec: engine.TargetSpec
    result: engine.ClockResult


def compute(ticket: Ticket, *, existing: Iterable[int] = ()) -> list[Computed]:
    """Every clock of ``ticket`` as its history makes it (nothing is written)."""
    kept = frozenset(existing)
    candidates = candidates_for(ticket, extra=kept)
    if candidates is None:
        return []
    ticket = specific(ticket)
    history = history_of(ticket, candidates, kept)
    by_pk = {t.pk: t for t in candidates.targets}
    # Only a target selected at some point can have a clock (``engine.simulate_one`` answers
    # ``None`` for the others): with many agreements, most targets never apply to a ticket.
    ever = set(history.selected)
    for step in history.steps:
        ever.update(step.selected or ())
    computed = []
    for target in candidates.targets:
        if target.pk not in ever:
            continue
        spec = candidates.spec(target)
        result = engine.simulate_one(history, spec)
        if result is not None:
            computed.append(Computed(by_pk[target.pk], spec, result))
    return computed


def _intervals(result: engine.ClockResult) -> list[list[str | None]]:
    return [
        [start.isoformat(), end.isoformat() if end is not None else None]
        for start, end in result.paused_intervals
    ]


def _row_values(item: Computed, last_threshold: int) -> dict[str, Any]:
    r = item.result
    next_at, _ = engine.next_check(r, item.spec, last_threshold)
    breached = r.status == ClockState.BREACHED or (
        r.status in (ClockState.RUNNING, ClockState.PAUSED)
        and (last_threshold >= 100 or r.elapsed > item.spec.duration)
    )
    return {
        "state": r.status,
        "origin": r.origin,
        "attached_at": r.attached_at,
        "started_at": r.started_at,
        "stopped_at": r.stopped_at,
        "measured_at": r.measured_at,
        "elapsed": r.elapsed,
        "paused": r.paused,
        "due_at": r.due_at,
        "next_check_at": next_at,
        "is_breached": breached,
        "paused_intervals": _intervals(r),
        "notes": r.notes,
    }


CLOCK_FIELDS = (
    "state",
    "origin",
    "attached_at",
    "started_at",
    "stopped_at",
    "measured_at",
    "elapsed",
    "paused",
    "due_at",
    "next_check_at",
    "is_breached",
    "paused_intervals",
    "notes",
)


def sync_clocks(ticket: Ticket, *, actor: Any = None) -> list[SlaClock]:
    """Bring the ticket's clocks in line with its history; audit each change of state."""
    rows = {c.target_id: c for c in SlaClock.objects.select_for_update().filter(ticket=ticket)}
    computed = compute(ticket, existing=rows)
    if not computed:
        return list(rows.values())
    now = timezone.now()
    saved: list[SlaClock] = []
    for item in computed:
        row = rows.get(item.target.pk)
        if row is None:
            row = SlaClock(
                ticket_id=ticket.pk,
                target=item.target,
                agreement_id=item.target.agreement_id,
                **_row_values(item, 0),
                updated_at=now,
            )
            row.save()
            audit.record(
                actor=actor,
                action="slaclock.attached",
                obj=row,
                changes={
                    "ticket": ticket.number,
                    "target": item.target.name,
                    "agreement": item.target.agreement.code,
                    "state": row.state,
                    "origin": row.origin,
                    "due_at": row.due_at,
                    "notes": row.notes,
                },
                object_repr=f"{ticket.number} {item.target.name}",
            )
            saved.append(row)
            continue
        values = _row_values(item, row.last_threshold)
        before = {name: getattr(row, name) for name in CLOCK_FIELDS}
        if before == values:
            saved.append(row)
            continue
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_at = now
        row.save(update_fields=[*CLOCK_FIELDS, "updated_at"])
        if before["state"] != values["state"] or before["due_at"] != values["due_at"]:
            audit.record(
                actor=actor,
                action=f"slaclock.{values['state']}",
                obj=row,
                changes=audit.diff(
                    {"state": before["state"], "due_at": before["due_at"]},
                    {"state": values["state"], "due_at": values["due_at"]},
                ),
                object_repr=f"{ticket.number} {item.target.name}",
            )
        saved.append(row)
    return saved


# --- replay -----------------------------------------------------------------------------------


REPLAYED_FIELDS = (
    "state",
    "origin",
    "started_at",
    "stopped_at",
    "measured_at",
    "elapsed",
    "paused",
    "due_at",
)


@dataclass(frozen=True)
class ReplayedClock:
    target_id: int
    target: str
    replayed: dict[str, Any]
    live: dict[str, Any] | None

    @property
    def differences(self) -> dict[str, list[Any]]:
        if self.live is None:
            return {"clock": [None, "missing"]}
        return {
            name: [self.live[name], self.replayed[name]]
            for name in REPLAYED_FIELDS
            if self.live[name] != self.replayed[name]
        }

    @property
    def agrees(self) -> bool:
        return not self.differences


def replay(*, actor: Any, ticket: Ticket) -> list[ReplayedClock]:
    """Rebuild every clock of ``ticket`` from its audit history and set it beside the live
    one (nothing is written)."""
    if actor is not None:
        policy.require(actor, "view", ticket)
        if not policy.has_model_permission(actor, SlaClock, "view"):
            raise Forbidden("You may not see service level clocks.")
    rows = {c.target_id: c for c in SlaClock.objects.filter(ticket=ticket)}
    out = []
    for item in compute(ticket, existing=rows):
        values = _row_values(item, 0)
        replayed = {name: values[name] for name in REPLAYED_FIELDS}
        row = rows.get(item.target.pk)
        live = {name: getattr(row, name) for name in REPLAYED_FIELDS} if row else None
        out.append(ReplayedClock(item.target.pk, str(item.target), replayed, live))
    return out


# --- explain ----------------------------------------------------------------------------------


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def _closed_days(
    calendar: Calendar, country: str, subdivision: str, start: datetime, end: datetime
) -> list[dict[str, str]]:
    """Working weekdays between ``start`` and ``end`` that the calendar closes, with why."""
    zone = ZoneInfo(calendar.time_zone)
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    if last < first or (last - first).days > 400:
        return []
    names: Mapping[date, str] = {}
    if country:
        names = holiday_data.country_holidays(
            country, subdiv=subdivision or None, years=range(first.year, last.year + 1)
        )
    found = []
    day = first
    while day <= last:
        if calendar._weekly[day.weekday()] and calendar.is_closed(day):
            why = names.get(day) or "closure day"
            found.append({"date": day.isoformat(), "reason": str(why)})
        day += timedelta(days=1)
    return found


def explain(clock: SlaClock, *, at: datetime | None = None) -> dict[str, Any]:
    """Why the clock's due time is what it is: target, calendar, holidays skipped, paused
    intervals, the policy applied on a change; and the figures as of ``at`` (default now)."""
    at = at or timezone.now()
    target = clock.target
    agreement = clock.agreement
    stored = agreement.calendar
    calendar = stored.as_calendar()
    length = target.length(calendar)
    result = engine.ClockResult(
        key=target.pk,
        status=clock.state,
        origin=clock.origin,
        attached_at=clock.attached_at,
        measured_at=clock.measured_at,
        elapsed=clock.elapsed,
        due_at=clock.due_at,
    )
    spec = engine.TargetSpec(target.pk, length, calendar, target.conditions())
    elapsed_now = result.elapsed_at(spec, max(at, clock.measured_at))
    end = clock.due_at or clock.stopped_at or at
    skipped = _closed_days(
        calendar,
        stored.holiday_country,
        stored.holiday_subdivision,
        clock.origin,
        max(end, clock.origin),
    )
    lines = [
        f"{target.name} of {agreement.name}: {target.duration_text()} "
        f"({_span(length)} of working time) for priority {target.priority}.",
        f"Calendar {stored.name} ({stored.time_zone}): {stored.hours_text()}"
        + (f", holidays of {stored.holiday_country}" if stored.holiday_country else "")
        + ".",
        f"Counting from {clock.origin.isoformat()}"
        + (
            f", started {clock.started_at.isoformat()}."
            if clock.started_at
            else ", not started yet."
        ),
    ]
    if target.unit == "days":
        lines.append(
            f"A business day of this calendar is {_span(engine.business_day(calendar))} "
            "(its weekly working time over its working days)."
        )
    lines.extend(clock.notes or [])
    for start, finish in clock.paused_intervals or []:
        lines.append(f"Paused {start} to {finish or 'now'}.")
    for day in skipped:
        lines.append(f"Skipped {day['date']}: {day['reason']}.")
    if clock.state == ClockState.RUNNING and clock.due_at:
        lines.append(f"Due {clock.due_at.isoformat()}: {_span(length)} of working time reached.")
    elif clock.state == ClockState.PAUSED:
        lines.append(
            f"Paused: {_span(max(length - clock.elapsed, timedelta(0)))} left when it runs again."
        )
    elif clock.state in (ClockState.MET, ClockState.BREACHED):
        stopped = clock.stopped_at.isoformat() if clock.stopped_at else ""
        outcome = clock.get_state_display().lower()
        lines.append(f"Stopped {stopped}: {outcome} after {_span(clock.elapsed)}.")
    return {
        "target": target.name,
        "agreement": agreement.name,
        "duration": target.duration_text(),
        "length_minutes": int(length.total_seconds() // 60),
        "calendar": {
            "name": stored.name,
            "time_zone": stored.time_zone,
            "hours": stored.hours_text(),
            "holiday_country": stored.holiday_country,
        },
        "origin": clock.origin,
        "started_at": clock.started_at,
        "policy": agreement.get_change_policy_display(),
        "notes": list(clock.notes or []),
        "at_risk_from": list(clock.at_risk_from or []),
        "paused_intervals": list(clock.paused_intervals or []),
        "paused_minutes": int(clock.paused.total_seconds() // 60),
        "elapsed_minutes": int(elapsed_now.total_seconds() // 60),
        "holidays_skipped": skipped,
        "due_at": clock.due_at,
        "state": clock.state,
        "lines": lines,
    }


def clocks_for(*, actor: Any, ticket: Ticket) -> list[SlaClock]:
    """The ticket's clocks the actor may see."""
    return list(
        SlaClock.objects.visible_to(actor)
        .filter(ticket=ticket)
        .select_related("target", "agreement__calendar")
        .order_by("agreement__kind", "target__metric", "pk")
    )


@transaction.atomic
def resync(*, actor: Any, ticket: Ticket) -> list[SlaClock]:
    """Recompute a ticket's clocks now (after a definition changed), audited as ``actor``."""
    if actor is not None:
        policy.require(actor, "view", ticket)
        if not policy.has_model_permission(actor, SlaClock, "change"):
            raise Forbidden("You may not recompute service level clocks.")
    return sync_clocks(Ticket.objects.get(pk=ticket.pk), actor=actor)
