"""The breach sweep: act once on each warning threshold and breach a clock reaches.

Only clocks whose ``next_check_at`` has come are read (a partial index holds the running
clocks' next instants), in batches locked with ``SKIP LOCKED`` so two workers sweeping at
the same moment take different rows. Each threshold is claimed by a conditional update of
``last_threshold`` (from the value read to the new one): whichever worker's update matches
acts, the other finds nothing to do. So each threshold acts exactly once per clock, even
where the database takes no row locks (SQLite).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from steward.core import audit
from steward.core.calendars import BusinessCalendar as Calendar
from steward.sla import actions, engine
from steward.sla.choices import LIVE_STATES, AgreementKind
from steward.sla.models import SlaClock
from steward.tickets.models import Ticket, specific

logger = logging.getLogger("steward.sla")

BATCH = 500


@dataclass
class SweepResult:
    checked: int = 0
    warnings: int = 0
    breaches: int = 0
    at_risk: int = 0
    actions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "checked": self.checked,
            "warnings": self.warnings,
            "breaches": self.breaches,
            "at_risk": self.at_risk,
            "actions": self.actions,
        }


def _spec(clock: SlaClock, calendars: dict[int, Calendar]) -> engine.TargetSpec:
    agreement = clock.agreement
    calendar = calendars.get(agreement.calendar_id)
    if calendar is None:
        calendar = calendars[agreement.calendar_id] = agreement.calendar.as_calendar()
    target = clock.target
    return engine.TargetSpec(
        key=target.pk,
        duration=target.length(calendar),
        calendar=calendar,
        conditions=target.conditions(),
        thresholds=tuple(target.warning_thresholds),
    )


def _result(clock: SlaClock) -> engine.ClockResult:
    return engine.ClockResult(
        key=clock.target_id,
        status=clock.state,
        origin=clock.origin,
        attached_at=clock.attached_at,
        measured_at=clock.measured_at,
        elapsed=clock.elapsed,
        due_at=clock.due_at,
    )


def _run_actions(
    clock: SlaClock, names: list[str], threshold: int, outcome: SweepResult
) -> list[dict[str, str]]:
    done: list[dict[str, str]] = []
    ticket: Any = specific(Ticket.objects.get(pk=clock.ticket_id)) if names else None
    for name in names:
        action = actions.get(name)
        if action is None or not action.applies_to(ticket.kind):
            done.append({"action": name, "result": "not available for this ticket"})
            continue
        try:
            with transaction.atomic():
                said = action.handler(clock=clock, ticket=ticket, threshold=threshold)
        except Exception as exc:  # one failing action must not stop the others
            logger.warning("SLA action %s on clock %s failed: %s", name, clock.pk, exc)
            said = f"failed: {getattr(exc, 'messages', None) or exc}"
        done.append({"action": name, "result": said})
        outcome.actions.append(f"{name}: {said}")
    return done


@dataclass
class _Plan:
    """What the sweep will do to one clock: the thresholds reached, the new mark, the next
    instant to look again."""

    clock: SlaClock
    reached: list[int]
    done: int
    next_at: datetime | None


def _plan(clock: SlaClock, at: datetime, calendars: dict[int, Calendar]) -> _Plan:
    spec = _spec(clock, calendars)
    result = _result(clock)
    reached = engine.crossed(result, spec, clock.last_threshold, at)
    done = max(reached) if reached else clock.last_threshold
    next_at, _ = engine.next_check(result, spec, done)
    return _Plan(clock, reached, done, next_at)


def _write_marks(clocks: list[SlaClock]) -> None:
    """One ``UPDATE ... FROM (VALUES ...)`` for a locked batch (PostgreSQL)."""
    if not clocks:
        return
    rows = ", ".join(
        ["(%s::bigint, %s::smallint, %s::timestamptz, %s::boolean, %s::boolean)"] * len(clocks)
    )
    params: list[Any] = []
    for c in clocks:
        params += [c.pk, c.last_threshold, c.next_check_at, c.is_warned, c.is_breached]
    table = SlaClock._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} AS c SET last_threshold = v.mark, next_check_at = v.next_at, "
            "is_warned = v.warned, is_breached = v.breached "
            f"FROM (VALUES {rows}) AS v(id, mark, next_at, warned, breached) WHERE c.id = v.id",
            params,
        )


def _claim(plans: list[_Plan]) -> list[_Plan]:
    """Write each clock's new mark; returns the plans whose thresholds this sweep owns.

    Where the database locks the rows read (PostgreSQL, ``SKIP LOCKED``) nobody else can act
    on them before this transaction ends, so one statement writes them all. Elsewhere each
    row is claimed by a conditional update from the mark read, and a lost race acts on nothing.
    """
    if connection.features.has_select_for_update_skip_locked:
        for plan in plans:
            clock = plan.clock
            clock.is_warned = clock.is_warned or bool(plan.reached)
            clock.is_breached = clock.is_breached or plan.done >= 100
            clock.last_threshold, clock.next_check_at = plan.done, plan.next_at
        _write_marks([p.clock for p in plans])
        return [p for p in plans if p.reached]
    claimed = []
    for plan in plans:
        clock = plan.clock
        won = SlaClock.objects.filter(pk=clock.pk, last_threshold=clock.last_threshold).update(
            last_threshold=plan.done,
            next_check_at=plan.next_at,
            is_warned=clock.is_warned or bool(plan.reached),
            is_breached=clock.is_breached or plan.done >= 100,
        )
        if won == 1 and plan.reached:
            claimed.append(plan)
    return claimed


def _act(plans: list[_Plan], at: datetime, outcome: SweepResult) -> None:
    """Run the actions of the thresholds claimed, and audit each, in one INSERT."""
    entries: list[dict[str, Any]] = []
    for plan in plans:
        clock = plan.clock
        for threshold in plan.reached:
            breach = threshold >= 100
            names = list(clock.target.breach_actions if breach else clock.target.warning_actions)
            ran = _run_actions(clock, names, threshold, outcome)
            if breach:
                outcome.breaches += 1
            else:
                outcome.warnings += 1
            entries.append(
                {
                    "actor": None,
                    "action": "slaclock.breach_reached" if breach else "slaclock.warning_reached",
                    "obj": clock,
                    "changes": {
                        "threshold": threshold,
                        "at": at,
                        "due_at": clock.due_at,
                        "actions": ran,
                    },
                    "object_repr": f"{clock.ticket.number} {clock.target.name}",
                }
            )
    audit.record_many(entries)
    for plan in plans:
        outcome.at_risk += propagate_risk(plan.clock, threshold=plan.done)


def propagate_risk(clock: SlaClock, *, threshold: int) -> int:
    """An OLA or contract at risk or breached flags the ticket's clocks of the SLAs it
    supports (audited on each); returns how many it flagged."""
    agreement = clock.agreement
    if agreement.kind == AgreementKind.SLA:
        return 0
    supported = list(agreement.supports.values_list("pk", flat=True))
    if not supported:
        return 0
    flagged = 0
    rows = SlaClock.objects.select_for_update().filter(
        ticket_id=clock.ticket_id, agreement_id__in=supported, state__in=LIVE_STATES
    )
    for row in rows.select_related("target"):
        if agreement.code in row.at_risk_from:
            continue
        row.at_risk_from = [*row.at_risk_from, agreement.code]
        row.save(update_fields=["at_risk_from"])
        audit.record(
            actor=None,
            action="slaclock.at_risk",
            obj=row,
            changes={"from": agreement.code, "threshold": threshold, "clock": clock.pk},
            object_repr=f"{clock.ticket.number} {row.target.name}",
        )
        flagged += 1
    return flagged


def sweep(*, at: datetime | None = None, batch: int = BATCH) -> SweepResult:
    """Act on every clock with a threshold reached by ``at`` (default now)."""
    at = at or timezone.now()
    outcome = SweepResult()
    calendars: dict[int, Calendar] = {}
    previous: list[int] = []
    while True:
        with transaction.atomic():
            rows = list(
                SlaClock.objects.due_for_sweep(at)
                .select_for_update(skip_locked=True, of=("self",))
                .select_related("target", "agreement__calendar", "ticket")
                .order_by("next_check_at", "pk")[:batch]
            )
            outcome.checked += len(rows)
            claimed = _claim([_plan(clock, at, calendars) for clock in rows])
            _act(claimed, at, outcome)
        ids = [clock.pk for clock in rows]
        if len(rows) < batch or ids == previous:
            break
        previous = ids
    if outcome.warnings or outcome.breaches:
        logger.info("SLA sweep: %s warnings, %s breaches", outcome.warnings, outcome.breaches)
    return outcome
