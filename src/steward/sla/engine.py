"""The SLA clock engine: pure functions from a ticket's history to its clocks.

No database here. ``services`` turns the audit log of a ticket into a :class:`History` and the
matching targets into :class:`TargetSpec` rows; :func:`simulate` computes every clock from
them. The live clocks are written from the same computation (``services.sync_clocks``), and
``replay`` runs it again on demand, so a clock is always what its history says.

**The rules, exactly.**

- A target is *selected* while the ticket's selecting fields (priority, organisation,
  service, team, category) make its agreement and its row match (``History.selected``).
- A clock follows the **last** stretch during which its target was selected. It counts from
  the ticket's opening when the target was selected at opening, or when the agreement's
  change policy is "recompute from opening"; otherwise ("from now") it counts from the
  instant the target became selected. A target that stops being selected cancels its clock
  at that instant.
- Within that stretch the clock's phase follows the ticket's workflow state:
  ``cancel`` states cancel it; ``stop`` states (and, for a target that stops on the first
  response, the first response) stop it; before it has started it waits for a ``start`` state
  (none declared: it starts at once); after that a ``pause`` state pauses it and any other
  state runs it. A state may carry the reason the ticket waits in it
  (``on_hold:awaiting_caller``, see :func:`qualified`): a condition naming the bare state
  matches it with any reason, one naming ``state:reason`` matches that reason only. A clock
  stopped by a stop state runs again when the ticket leaves the stop states (a reopened
  ticket); one stopped by the first response stays stopped.
- Elapsed time is business time of the calendar while running; paused time is business time
  while paused. The due instant is when elapsed time reaches the target's duration; a
  stopped clock is *met* when its elapsed time is at most the duration, else *breached*.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from steward.core.calendars import BusinessCalendar, add_business_time, business_time_between

PENDING = "pending"
RUNNING = "running"
PAUSED = "paused"
MET = "met"
BREACHED = "breached"
CANCELLED = "cancelled"
STOPPED = "stopped"  # internal: met or breached, decided by elapsed time

ZERO = timedelta(0)


def qualified(state: str, reason: str) -> str:
    """The state as conditions see it: ``on_hold:awaiting_caller``, or ``on_hold``."""
    return f"{state}:{reason}" if reason else state


def matches(codes: frozenset[str], state: str) -> bool:
    """Does a condition's set of codes hold for ``state`` (bare or qualified)?"""
    if state in codes:
        return True
    bare, _, reason = state.partition(":")
    return bool(reason) and bare in codes


def business_day(calendar: BusinessCalendar) -> timedelta:
    """One business day of ``calendar``: its weekly working time over its working weekdays.

    With the same hours every working day this is exactly one day's hours (08:00-17:00 on
    Monday to Friday: 9 hours); with uneven days it is their average.
    """
    total = ZERO
    days = 0
    for ranges in calendar._weekly:
        if ranges:
            days += 1
            total += sum((length for _, length in ranges), ZERO)
    return total / days


@dataclass(frozen=True)
class Conditions:
    """When a clock starts, pauses, stops and is cancelled, by workflow state code (bare, or
    ``state:reason`` for one reason of waiting only)."""

    start: frozenset[str] = frozenset()
    pause: frozenset[str] = frozenset()
    stop: frozenset[str] = frozenset()
    cancel: frozenset[str] = frozenset()
    stop_on_response: bool = False


@dataclass(frozen=True)
class TargetSpec:
    """What the engine needs of one target."""

    key: int
    duration: timedelta
    calendar: BusinessCalendar
    conditions: Conditions
    from_opening: bool = True
    thresholds: tuple[int, ...] = ()


@dataclass(frozen=True)
class Step:
    """One change to the ticket at ``at``: a new state, a new selection, the first response."""

    at: datetime
    state: str | None = None
    selected: frozenset[int] | None = None
    responded: bool = False
    reason: str = ""


@dataclass(frozen=True)
class History:
    """A ticket's life as the engine sees it; ``steps`` in time order."""

    opened_at: datetime
    state: str
    selected: frozenset[int]
    steps: tuple[Step, ...] = ()


@dataclass
class ClockResult:
    """A clock as its history makes it, measured at ``measured_at`` (its last change)."""

    key: int
    status: str
    origin: datetime
    attached_at: datetime
    measured_at: datetime
    started_at: datetime | None = None
    stopped_at: datetime | None = None
    elapsed: timedelta = ZERO
    paused: timedelta = ZERO
    due_at: datetime | None = None
    paused_intervals: list[tuple[datetime, datetime | None]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def elapsed_at(self, spec: TargetSpec, at: datetime) -> timedelta:
        """Elapsed business time at ``at`` (not before ``measured_at``)."""
        if self.status != RUNNING or at <= self.measured_at:
            return self.elapsed
        return self.elapsed + business_time_between(spec.calendar, self.measured_at, at)

    def threshold_at(self, spec: TargetSpec, percent: int) -> datetime | None:
        """When the clock reaches ``percent`` of its duration (``None`` unless running)."""
        if self.status != RUNNING:
            return None
        mark = spec.duration * percent / 100
        if mark <= self.elapsed:
            return self.measured_at
        return add_business_time(spec.calendar, self.measured_at, mark - self.elapsed)


def _phase(
    cond: Conditions, state: str, responded: bool, started: bool, stopped_by_response: bool
) -> str:
    if stopped_by_response:
        return STOPPED
    if matches(cond.cancel, state):
        return CANCELLED
    if matches(cond.stop, state):
        return STOPPED
    if cond.stop_on_response and responded:
        return STOPPED
    if not started and cond.start and not matches(cond.start, state):
        return PENDING
    return PAUSED if matches(cond.pause, state) else RUNNING


def _last_stretch(history: History, key: int) -> tuple[int | None, int | None] | None:
    """(index of the step that attached the target, ``None`` for the opening; index of the
    step that detached it, ``None`` if it still applies) for the last stretch the target was
    selected; ``None`` if it never was."""
    attached: int | None = None
    detached: int | None = None
    selected = key in history.selected
    ever = selected
    for index, step in enumerate(history.steps):
        if step.selected is None:
            continue
        now_selected = key in step.selected
        if now_selected and not selected:
            attached, detached = index, None
            ever = True
        elif selected and not now_selected:
            detached = index
        selected = now_selected
    return (attached, detached) if ever else None


def simulate_one(history: History, spec: TargetSpec) -> ClockResult | None:
    """The clock of one target over ``history``; ``None`` if it was never selected."""
    stretch = _last_stretch(history, spec.key)
    if stretch is None:
        return None
    attach_index, detach_index = stretch
    steps = history.steps
    attached = None if attach_index is None else steps[attach_index]
    notes: list[str] = []
    state = history.state
    responded = False
    first = 0
    if attached is None or spec.from_opening:
        origin = history.opened_at
        if attached is not None:
            notes.append(
                f"Applies since {attached.at.isoformat()} "
                f"({attached.reason or 'selection changed'}); counted from the opening "
                "(the agreement's change policy)."
            )
    else:
        assert attach_index is not None
        origin = attached.at
        for step in steps[: attach_index + 1]:
            state = step.state if step.state is not None else state
            responded = responded or step.responded
        first = attach_index + 1
        notes.append(
            f"Applies since {attached.at.isoformat()} "
            f"({attached.reason or 'selection changed'}); counted from then "
            "(the agreement's change policy)."
        )
    last = len(steps) if detach_index is None else detach_index
    cond = spec.conditions
    cal = spec.calendar
    result = ClockResult(
        key=spec.key,
        status=PENDING,
        origin=origin,
        attached_at=history.opened_at if attached is None else attached.at,
        measured_at=origin,
    )
    started = False
    by_response = False

    def enter(at: datetime, phase: str) -> None:
        nonlocal started
        previous = result.status
        if phase == previous:
            return
        if previous == PAUSED and result.paused_intervals:
            result.paused_intervals[-1] = (result.paused_intervals[-1][0], at)
        if phase in (RUNNING, PAUSED) and not started:
            started = True
            result.started_at = at
        if phase == PAUSED:
            result.paused_intervals.append((at, None))
        if phase in (STOPPED, CANCELLED):
            result.stopped_at = at
        elif previous in (STOPPED, CANCELLED):
            result.stopped_at = None
        result.status = phase

    def advance(to: datetime) -> None:
        start = result.measured_at
        if to <= start:
            return
        if result.status == RUNNING:
            worked = business_time_between(cal, start, to)
            if result.elapsed < spec.duration <= result.elapsed + worked:
                result.due_at = add_business_time(cal, start, spec.duration - result.elapsed)
            result.elapsed += worked
        elif result.status == PAUSED:
            result.paused += business_time_between(cal, start, to)
        result.measured_at = to

    def settle(at: datetime) -> None:
        nonlocal by_response
        phase = _phase(cond, state, responded, started, by_response)
        if (
            phase == STOPPED
            and cond.stop_on_response
            and responded
            and not matches(cond.stop, state)
        ):
            by_response = True
        enter(at, phase)

    settle(origin)
    for step in steps[first:last]:
        advance(step.at)
        if step.state is not None:
            state = step.state
        responded = responded or step.responded
        settle(step.at)
    if detach_index is not None:
        detached = steps[detach_index]
        advance(detached.at)
        enter(detached.at, CANCELLED)
        notes.append(
            f"Cancelled {detached.at.isoformat()}: no longer applies "
            f"({detached.reason or 'selection changed'})."
        )
    if result.status == RUNNING and result.elapsed < spec.duration:
        result.due_at = add_business_time(cal, result.measured_at, spec.duration - result.elapsed)
    if result.status == STOPPED:
        result.status = MET if result.elapsed <= spec.duration else BREACHED
    result.notes = notes
    return result


def simulate(history: History, specs: Iterable[TargetSpec]) -> dict[int, ClockResult]:
    """Every clock the history gives rise to, by target key."""
    found: dict[int, ClockResult] = {}
    for spec in specs:
        result = simulate_one(history, spec)
        if result is not None:
            found[spec.key] = result
    return found


def next_check(
    result: ClockResult, spec: TargetSpec, done: int
) -> tuple[datetime | None, list[int]]:
    """When the sweep must look at the clock next, for thresholds above ``done`` (100 is
    the breach), and which thresholds are still to come."""
    if result.status != RUNNING:
        return None, []
    pending = sorted({p for p in (*spec.thresholds, 100) if p > done})
    if not pending:
        return None, []
    first = pending[0]
    at = result.due_at if first == 100 else result.threshold_at(spec, first)
    return at, pending


def crossed(result: ClockResult, spec: TargetSpec, done: int, at: datetime) -> list[int]:
    """Thresholds above ``done`` a running clock has reached at ``at`` (100: breach)."""
    if result.status != RUNNING:
        return []
    elapsed = result.elapsed_at(spec, at)
    reached = [
        p for p in sorted(set(spec.thresholds)) if p > done and elapsed >= spec.duration * p / 100
    ]
    if done < 100 and result.due_at is not None and at >= result.due_at:
        reached.append(100)
    return reached
