"""The clock engine against a brute-force reference that steps minute by minute.

The reference shares nothing with the engine but the rules written in ``sla.engine``'s
docstring: it reads each minute's wall-clock time in the calendar's zone to decide whether the
minute is working time, applies the ticket's changes minute by minute and counts. Random
calendars (several ranges a day, zones with daylight saving time, holidays, closure days),
random state changes, first responses and priority changes; the due instant, elapsed and
paused time and the outcome must agree exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.core.calendars import BusinessCalendar
from steward.sla import engine
from steward.sla.engine import Conditions, History, Step, TargetSpec

MINUTE = timedelta(minutes=1)
# "hold:caller" is the state "hold" with the reason "caller" (a condition on "hold" matches it).
STATES = ("new", "work", "hold", "hold:caller", "hold:vendor", "resolved", "cancelled")
ZONES = ("UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata")
# Starts near daylight-saving changes of the zones above, and ordinary weeks.
STARTS = (
    datetime(2026, 3, 27, 6, 0, tzinfo=UTC),
    datetime(2026, 3, 6, 12, 0, tzinfo=UTC),
    datetime(2026, 10, 23, 18, 0, tzinfo=UTC),
    datetime(2026, 10, 30, 9, 0, tzinfo=UTC),
    datetime(2026, 4, 3, 10, 0, tzinfo=UTC),
    datetime(2026, 12, 22, 8, 0, tzinfo=UTC),
    datetime(2026, 5, 11, 7, 30, tzinfo=UTC),
)
HORIZON = 4 * 24 * 60  # minutes the ticket's changes fall in
DUE_SEARCH = 9 * 24 * 60  # minutes the reference looks ahead for a due instant


# --- the reference ------------------------------------------------------------------------------


def day_ranges(calendar: BusinessCalendar, day: date) -> list[tuple[datetime, datetime]]:
    """The naive wall-clock stretches the ranges starting on ``day`` cover (none if closed)."""
    if calendar.is_closed(day):
        return []
    found = []
    for start, end in calendar.hours.get(day.weekday(), ()):
        begin = datetime.combine(day, start)
        length = datetime.combine(date.min, end) - datetime.combine(date.min, start)
        if length <= timedelta(0):
            length += timedelta(days=1)
        found.append((begin, begin + length))
    return found


def working_minutes(calendar: BusinessCalendar, opened: datetime, count: int) -> list[bool]:
    """For each minute from ``opened``: does the wall clock show a time inside a range that
    started on an open day (that day's or the day before's)?"""
    zone = ZoneInfo(calendar.time_zone)
    ranges: dict[date, list[tuple[datetime, datetime]]] = {}
    flags = []
    for minute in range(count):
        wall = (opened + minute * MINUTE).astimezone(zone).replace(tzinfo=None)
        inside = False
        for day in (wall.date(), wall.date() - timedelta(days=1)):
            if day not in ranges:
                ranges[day] = day_ranges(calendar, day)
            if any(begin <= wall < end for begin, end in ranges[day]):
                inside = True
                break
        flags.append(inside)
    return flags


@dataclass
class Expected:
    status: str
    elapsed: int
    paused: int
    due: int | None  # minute offset of the due instant, if reached within the search


def reference(
    working: list[bool],
    events: dict[int, tuple[str, object]],
    first_priority: int,
    target_priority: int,
    duration: int,
    cond: Conditions,
    from_opening: bool,
) -> Expected | None:
    # Selection: which minutes the target applies in.
    priority = first_priority
    selected_at = [False] * (HORIZON + 1)
    for minute in range(HORIZON + 1):
        event = events.get(minute)
        if event is not None and event[0] == "priority":
            priority = int(event[1])  # type: ignore[call-overload]
        selected_at[minute] = priority == target_priority
    if not any(selected_at):
        return None
    attach = 0 if selected_at[0] else None
    detach = None
    for minute in range(1, HORIZON + 1):
        if selected_at[minute] and not selected_at[minute - 1]:
            attach, detach = minute, None
        elif selected_at[minute - 1] and not selected_at[minute]:
            detach = minute
    assert attach is not None
    origin = 0 if (attach == 0 or from_opening) else attach
    changes = [m for m in events if m < (detach if detach is not None else HORIZON + 1)]
    end = detach if detach is not None else max([origin, *changes])
    state, responded = "new", False
    if origin:
        for minute in sorted(events):
            if minute > origin:
                break
            kind, value = events[minute]
            if kind == "state":
                state = str(value)
            elif kind == "response":
                responded = True
    started = by_response = False
    elapsed = paused = 0
    due: int | None = None

    def named(codes: frozenset[str]) -> bool:
        return state in codes or state.split(":")[0] in codes

    def phase() -> str:
        nonlocal by_response
        if by_response:
            return "stopped"
        if named(cond.cancel):
            return "cancelled"
        if named(cond.stop):
            return "stopped"
        if cond.stop_on_response and responded:
            by_response = True
            return "stopped"
        if not started and cond.start and not named(cond.start):
            return "pending"
        return "paused" if named(cond.pause) else "running"

    current = phase()
    started = current in ("running", "paused")
    for minute in range(origin, end):
        if minute != origin and minute in events:
            kind, value = events[minute]
            if kind == "state":
                state = str(value)
            elif kind == "response":
                responded = True
            current = phase()
            started = started or current in ("running", "paused")
        if current == "running" and working[minute]:
            elapsed += 1
            if elapsed == duration:
                due = minute + 1
        elif current == "paused" and working[minute]:
            paused += 1
    if end in events and detach is None and end != origin:
        kind, value = events[end]
        if kind == "state":
            state = str(value)
        elif kind == "response":
            responded = True
        current = phase()
        started = started or current in ("running", "paused")
    if detach is not None:
        current = "cancelled"
    if current == "running" and elapsed < duration:
        counted = elapsed
        for minute in range(end, HORIZON + DUE_SEARCH):
            if working[minute]:
                counted += 1
                if counted == duration:
                    due = minute + 1
                    break
    if current == "stopped":
        current = "met" if elapsed <= duration else "breached"
    return Expected(current, elapsed, paused, due)


# --- strategies ---------------------------------------------------------------------------------


def _clock_time(minutes: int) -> time:
    return time(0) if minutes == 1440 else time(minutes // 60, minutes % 60)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    hours: dict[int, tuple[tuple[time, time], ...]] = {}
    for weekday in range(7):
        count = draw(st.integers(0, 3))
        marks = sorted(draw(st.sets(st.integers(0, 96), min_size=2 * count, max_size=2 * count)))
        ranges = []
        for i in range(0, len(marks), 2):
            start, end = marks[i] * 15, marks[i + 1] * 15
            ranges.append((_clock_time(start), _clock_time(end)))
        if ranges:
            hours[weekday] = tuple(ranges)
    if not hours:
        hours[draw(st.integers(0, 6))] = ((time(9), time(17)),)
    first_day = draw(st.sampled_from(STARTS))
    closures = draw(
        st.sets(
            st.integers(0, 12).map(lambda d: (first_day + timedelta(days=d)).date()), max_size=3
        )
    )
    return BusinessCalendar(
        time_zone=draw(st.sampled_from(ZONES)),
        hours=hours,
        country=draw(st.sampled_from([None, "DE", "US"])),
        closures=frozenset(closures),
    )


@dataclass
class Scenario:
    calendar: BusinessCalendar
    opened: datetime
    events: dict[int, tuple[str, object]]
    first_priority: int
    conditions: Conditions
    durations: dict[int, int]
    from_opening: bool


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    calendar = draw(calendars())
    opened = draw(st.sampled_from(STARTS)) + timedelta(minutes=draw(st.integers(0, 600)))
    minutes = sorted(draw(st.sets(st.integers(1, HORIZON), max_size=7)))
    events: dict[int, tuple[str, object]] = {}
    for minute in minutes:
        kind = draw(st.sampled_from(["state", "state", "priority", "response"]))
        value: object = (
            draw(st.sampled_from(STATES))
            if kind == "state"
            else draw(st.integers(1, 3))
            if kind == "priority"
            else True
        )
        events[minute] = (kind, value)
    cond = Conditions(
        start=draw(st.sampled_from([frozenset(), frozenset({"work"})])),
        pause=draw(st.sampled_from([frozenset({"hold"}), frozenset({"hold:caller"})])),
        stop=frozenset({"resolved"}),
        cancel=frozenset({"cancelled"}),
        stop_on_response=draw(st.booleans()),
    )
    durations = {p: draw(st.integers(1, 1500)) for p in (1, 2, 3)}
    return Scenario(
        calendar, opened, events, draw(st.integers(1, 3)), cond, durations, draw(st.booleans())
    )


def engine_history(
    opened: datetime, events: dict[int, tuple[str, object]], first_priority: int
) -> History:
    steps = []
    for minute in sorted(events):
        kind, value = events[minute]
        at = opened + minute * MINUTE
        if kind == "state":
            steps.append(Step(at=at, state=str(value)))
        elif kind == "priority":
            steps.append(Step(at=at, selected=frozenset({int(value)}), reason=f"priority {value}"))  # type: ignore[call-overload]
        else:
            steps.append(Step(at=at, responded=True))
    return History(
        opened_at=opened, state="new", selected=frozenset({first_priority}), steps=tuple(steps)
    )


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_engine_agrees_with_minute_by_minute_reference(scenario: Scenario) -> None:
    calendar, opened, events = scenario.calendar, scenario.opened, scenario.events
    first = scenario.first_priority
    history = engine_history(opened, events, first)
    working = working_minutes(calendar, opened, HORIZON + DUE_SEARCH)
    for priority, minutes in scenario.durations.items():
        spec = TargetSpec(
            key=priority,
            duration=timedelta(minutes=minutes),
            calendar=calendar,
            conditions=scenario.conditions,
            from_opening=scenario.from_opening,
        )
        got = engine.simulate_one(history, spec)
        want = reference(
            working, events, first, priority, minutes, scenario.conditions, scenario.from_opening
        )
        if want is None:
            assert got is None
            continue
        assert got is not None
        assert got.status == want.status, (priority, got, want)
        assert got.elapsed == want.elapsed * MINUTE, (priority, got, want)
        assert got.paused == want.paused * MINUTE, (priority, got, want)
        if want.due is not None:
            assert got.due_at == opened + want.due * MINUTE, (priority, got, want)
        elif got.status in ("running", "paused"):
            assert got.due_at is None or got.due_at > opened + (HORIZON + DUE_SEARCH) * MINUTE
        else:
            assert got.due_at is None


# --- named regressions of the failure modes ITSM tools are known for -----------------------------

OFFICE = BusinessCalendar(
    "Europe/Berlin",
    {d: ((time(8), time(12)), (time(13), time(17))) for d in range(5)},
    country="DE",
)
PLAIN = Conditions(pause=frozenset({"hold"}), stop=frozenset({"resolved"}))


def _spec(minutes: int, **kwargs: object) -> TargetSpec:
    return TargetSpec(1, timedelta(minutes=minutes), OFFICE, kwargs.pop("cond", PLAIN), **kwargs)  # type: ignore[arg-type]


def berlin(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo("Europe/Berlin"))


def test_time_pending_on_the_caller_is_not_counted() -> None:
    opened = berlin("2026-11-23T09:00")
    history = History(
        opened,
        "new",
        frozenset({1}),
        (
            Step(berlin("2026-11-23T10:00"), state="hold"),
            Step(berlin("2026-11-25T10:00"), state="work"),
        ),
    )
    clock = engine.simulate_one(history, _spec(240))
    assert clock is not None
    assert clock.elapsed == timedelta(hours=1)
    assert clock.due_at == berlin("2026-11-25T14:00").astimezone(UTC)  # lunch skipped


def test_a_day_is_a_business_day_not_24_hours() -> None:
    # 8 working hours a day: "1 business day" from Friday 15:00 is Monday 15:00
    assert engine.business_day(OFFICE) == timedelta(hours=8)
    history = History(berlin("2026-11-27T15:00"), "new", frozenset({1}))
    clock = engine.simulate_one(history, _spec(8 * 60))
    assert clock is not None
    assert clock.due_at == berlin("2026-11-30T15:00").astimezone(UTC)


def test_holidays_are_skipped() -> None:
    # 24 December is not a German public holiday, 25 and 26 are
    history = History(berlin("2026-12-24T16:00"), "new", frozenset({1}))
    clock = engine.simulate_one(history, _spec(120))
    assert clock is not None
    assert clock.due_at == berlin("2026-12-28T09:00").astimezone(UTC)


def test_priority_raised_mid_ticket_recomputes_from_opening() -> None:
    opened = berlin("2026-11-23T08:00")
    raised = Step(berlin("2026-11-23T11:00"), selected=frozenset({2}), reason="priority 3 -> 2")
    history = History(opened, "new", frozenset({1}), (raised,))
    old = engine.simulate_one(history, TargetSpec(1, timedelta(hours=8), OFFICE, PLAIN))
    new = engine.simulate_one(history, TargetSpec(2, timedelta(hours=2), OFFICE, PLAIN))
    assert old is not None and old.status == "cancelled"
    assert new is not None and new.due_at == berlin("2026-11-23T10:00").astimezone(UTC)
    assert "from the opening" in new.notes[0]


def test_priority_raised_mid_ticket_counts_from_the_change_under_that_policy() -> None:
    opened = berlin("2026-11-23T08:00")
    raised = Step(berlin("2026-11-23T11:00"), selected=frozenset({2}), reason="priority 3 -> 2")
    history = History(opened, "new", frozenset({1}), (raised,))
    spec = TargetSpec(2, timedelta(hours=2), OFFICE, PLAIN, from_opening=False)
    new = engine.simulate_one(history, spec)
    assert new is not None and new.due_at == berlin("2026-11-23T14:00").astimezone(UTC)


def test_reopened_ticket_resumes_its_resolution_clock() -> None:
    opened = berlin("2026-11-23T08:00")
    steps = (
        Step(berlin("2026-11-23T09:00"), state="resolved"),
        Step(berlin("2026-11-24T08:00"), state="work"),
    )
    clock = engine.simulate_one(History(opened, "new", frozenset({1}), steps), _spec(120))
    assert clock is not None and clock.status == "running"
    assert clock.elapsed == timedelta(hours=1)
    assert clock.due_at == berlin("2026-11-24T09:00").astimezone(UTC)


def test_first_response_stops_its_clock_for_good() -> None:
    cond = Conditions(stop=frozenset({"resolved"}), stop_on_response=True)
    opened = berlin("2026-11-23T08:00")
    steps = (
        Step(berlin("2026-11-23T08:30"), responded=True),
        Step(berlin("2026-11-23T09:00"), state="resolved"),
        Step(berlin("2026-11-23T10:00"), state="work"),
    )
    clock = engine.simulate_one(History(opened, "new", frozenset({1}), steps), _spec(60, cond=cond))
    assert clock is not None and clock.status == "met"
    assert clock.elapsed == timedelta(minutes=30)


def test_thresholds_come_in_order_and_the_breach_last() -> None:
    history = History(berlin("2026-11-23T08:00"), "new", frozenset({1}))
    spec = TargetSpec(1, timedelta(hours=4), OFFICE, PLAIN, thresholds=(50, 75))
    clock = engine.simulate_one(history, spec)
    assert clock is not None
    first, pending = engine.next_check(clock, spec, 0)
    assert pending == [50, 75, 100]
    assert first == berlin("2026-11-23T10:00").astimezone(UTC)
    at_75, _ = engine.next_check(clock, spec, 50)
    assert at_75 == berlin("2026-11-23T11:00").astimezone(UTC)
    assert engine.crossed(clock, spec, 0, berlin("2026-11-23T11:30")) == [50, 75]
    assert engine.crossed(clock, spec, 75, berlin("2026-11-23T13:00")) == [100]


@pytest.mark.parametrize("percent", [0, 100])
def test_threshold_instants_at_the_ends(percent: int) -> None:
    history = History(berlin("2026-11-23T08:00"), "new", frozenset({1}))
    spec = TargetSpec(1, timedelta(hours=4), OFFICE, PLAIN)
    clock = engine.simulate_one(history, spec)
    assert clock is not None
    expected = clock.measured_at if percent == 0 else clock.due_at
    assert clock.threshold_at(spec, percent) == expected
