"""Business calendars: worked examples, validation, and properties against a brute-force model.

The brute-force model walks UTC minute by minute and asks of each minute, on its own, whether
the local wall clock shows a time inside a range that started on a working local date. It
shares no code with ``steward.core.calendars`` and reads holidays straight from the
``holidays`` package.
"""

from __future__ import annotations

import time as clock
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.core.calendars import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    working_intervals,
)

BERLIN = ZoneInfo("Europe/Berlin")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")
LONDON = ZoneInfo("Europe/London")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def office(time_zone: str = "Europe/Berlin", **overrides: Any) -> BusinessCalendar:
    """Monday to Friday, 09:00-12:30 and 13:30-17:00, Bavarian public holidays."""
    day = ((time(9), time(12, 30)), (time(13, 30), time(17)))
    fields: dict[str, Any] = {
        "hours": dict.fromkeys(range(5), day),
        "country": "DE",
        "subdivision": "BY",
    }
    fields.update(overrides)
    return BusinessCalendar(time_zone, **fields)


def night_shift(**overrides: Any) -> BusinessCalendar:
    """Every night 22:00-06:00 in California; each shift belongs to the evening it starts."""
    fields: dict[str, Any] = {"hours": dict.fromkeys(range(7), ((time(22), time(6)),))}
    fields.update(overrides)
    return BusinessCalendar("America/Los_Angeles", **fields)


# --- worked examples --------------------------------------------------------------------------


def test_four_hours_from_friday_afternoon_end_on_monday_morning():
    # given the office, on Friday 15 May 2026 at 15:00 (an ordinary weekend follows)
    start = datetime(2026, 5, 15, 15, tzinfo=BERLIN)
    # when four business hours are added: two on Friday, two on Monday from 09:00
    due = add_business_time(office(), start, 4 * HOUR)
    # then the answer is Monday 11:00 local, returned in UTC
    assert due == datetime(2026, 5, 18, 11, tzinfo=BERLIN)
    assert due.tzinfo is UTC


def test_a_public_holiday_on_monday_pushes_the_answer_to_tuesday():
    # given Whit Monday 2026 is a Bavarian holiday
    assert date(2026, 5, 25) in holidays.country_holidays("DE", subdiv="BY", years=2026)
    start = datetime(2026, 5, 22, 15, tzinfo=BERLIN)
    # when four business hours are added from Friday 15:00
    due = add_business_time(office(), start, 4 * HOUR)
    # then Monday is skipped
    assert due == datetime(2026, 5, 26, 11, tzinfo=BERLIN)
    assert business_time_between(office(), start, due) == 4 * HOUR


def test_lunch_break_and_a_day_used_up_exactly():
    cal = office()
    monday = datetime(2026, 5, 18, 9, tzinfo=BERLIN)
    # a morning's 3.5 hours end at 12:30; the next minute waits for 13:30
    assert add_business_time(cal, monday, timedelta(hours=3, minutes=30)) == monday.replace(
        hour=12, minute=30
    )
    assert add_business_time(cal, monday, timedelta(hours=3, minutes=31)) == monday.replace(
        hour=13, minute=31
    )
    # a whole day's 7 hours end at 17:00 the same day, not at 09:00 the next
    assert add_business_time(cal, monday, 7 * HOUR) == monday.replace(hour=17)
    assert business_time_between(cal, monday, monday + 7 * 24 * HOUR) == 35 * HOUR


def test_start_outside_working_time_begins_at_the_next_working_instant():
    saturday = datetime(2026, 5, 16, 10, tzinfo=BERLIN)
    assert add_business_time(office(), saturday, MINUTE) == datetime(
        2026, 5, 18, 9, 1, tzinfo=BERLIN
    )


def test_adding_zero_returns_the_start_unchanged_even_outside_working_time():
    saturday = datetime(2026, 5, 16, 10, tzinfo=BERLIN)
    due = add_business_time(office(), saturday, timedelta(0))
    assert due == saturday
    assert due.tzinfo is UTC


def test_time_between_is_negative_when_the_end_comes_first():
    cal = office()
    monday = datetime(2026, 5, 18, 9, tzinfo=BERLIN)
    assert business_time_between(cal, monday + 2 * HOUR, monday) == -2 * HOUR
    assert business_time_between(cal, monday, monday) == timedelta(0)


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        # spring forward on Sunday 29 March 2026: Saturday has 24 hours, Sunday 23
        (datetime(2026, 3, 28, tzinfo=BERLIN), 24, datetime(2026, 3, 29, tzinfo=BERLIN)),
        (datetime(2026, 3, 29, tzinfo=BERLIN), 24, datetime(2026, 3, 30, 1, tzinfo=BERLIN)),
        (datetime(2026, 3, 28, tzinfo=BERLIN), 48, datetime(2026, 3, 30, 1, tzinfo=BERLIN)),
        # fall back on Sunday 25 October 2026: Sunday has 25 hours
        (datetime(2026, 10, 25, tzinfo=BERLIN), 24, datetime(2026, 10, 25, 23, tzinfo=BERLIN)),
        (datetime(2026, 10, 24, tzinfo=BERLIN), 48, datetime(2026, 10, 25, 23, tzinfo=BERLIN)),
    ],
)
def test_a_24_7_calendar_counts_real_hours_across_dst(start, hours, due):
    cal = BusinessCalendar.always("Europe/Berlin")
    assert add_business_time(cal, start, hours * HOUR) == due
    assert business_time_between(cal, start, due) == hours * HOUR
    assert list(working_intervals(cal, start, due)) == [(start, due)]


@pytest.mark.parametrize(
    ("sunday", "real_hours"),
    [(date(2026, 3, 29), 2), (date(2026, 10, 25), 4), (date(2026, 5, 17), 3)],
)
def test_a_range_across_the_dst_change_lasts_the_real_time(sunday, real_hours):
    # given Sundays 01:00-04:00 in Berlin, where clocks jump 02:00 -> 03:00 or 03:00 -> 02:00
    cal = BusinessCalendar("Europe/Berlin", {6: ((time(1), time(4)),)})
    day = datetime.combine(sunday, time(0), BERLIN)
    assert business_time_between(cal, day, day + 24 * HOUR) == real_hours * HOUR


def test_a_range_inside_the_repeated_hour_counts_it_twice():
    # given Sunday 00:00-02:30; on 25 October 2026 02:00-02:30 shows twice
    cal = BusinessCalendar("Europe/Berlin", {6: ((time(0), time(2, 30)),)})
    day = datetime(2026, 10, 25, tzinfo=BERLIN)
    # then it is 2.5 + 0.5 real hours, in two pieces an hour apart
    first = (day, datetime(2026, 10, 25, 0, 30, tzinfo=UTC))
    second = (datetime(2026, 10, 25, 1, tzinfo=UTC), datetime(2026, 10, 25, 1, 30, tzinfo=UTC))
    assert list(working_intervals(cal, day, day + 24 * HOUR)) == [first, second]


def test_a_range_inside_the_skipped_hour_never_happens():
    cal = BusinessCalendar("Europe/Berlin", {6: ((time(2, 15), time(2, 45)),)})
    spring = datetime(2026, 3, 29, tzinfo=BERLIN)
    assert business_time_between(cal, spring, spring + 24 * HOUR) == timedelta(0)
    assert add_business_time(cal, spring, MINUTE) == datetime(2026, 4, 5, 2, 16, tzinfo=BERLIN)


def test_night_shift_crosses_midnight_and_dst():
    cal = night_shift()
    # an ordinary night is 8 hours; falling back on 1 November 2026 makes it 9, springing
    # forward on 8 March 2026 makes it 7
    for evening, real_hours in [
        (date(2026, 5, 9), 8),
        (date(2026, 10, 31), 9),
        (date(2026, 3, 7), 7),
    ]:
        start = datetime.combine(evening, time(12), LOS_ANGELES)
        assert business_time_between(cal, start, start + 24 * HOUR) == real_hours * HOUR
    # 8 hours from Friday 23:00 use the rest of that night and an hour of the next
    friday = datetime(2026, 5, 8, 23, tzinfo=LOS_ANGELES)
    assert add_business_time(cal, friday, 8 * HOUR) == datetime(2026, 5, 9, 23, tzinfo=LOS_ANGELES)


def test_adjacent_ranges_come_out_as_one_interval():
    # given 18:00-00:00 every day and 00:00-06:00 every day
    cal = BusinessCalendar(
        "America/Los_Angeles", dict.fromkeys(range(7), ((time(0), time(6)), (time(18), time(0))))
    )
    start = datetime(2026, 5, 11, 12, tzinfo=LOS_ANGELES)
    assert list(working_intervals(cal, start, start + 24 * HOUR)) == [
        (start + 6 * HOUR, start + 18 * HOUR)
    ]
    week = BusinessCalendar.always("Europe/Berlin")
    monday = datetime(2026, 3, 23, tzinfo=BERLIN)
    assert list(working_intervals(week, monday, monday + 14 * 24 * HOUR)) == [
        (monday, monday + 14 * 24 * HOUR)
    ]


def test_a_shift_running_into_a_holiday_counts_and_one_starting_on_it_does_not():
    # given night shifts Monday to Friday evenings in California; 3 July 2026 (a Friday) is
    # the observed Independence Day, because 4 July is a Saturday
    cal = night_shift(hours=dict.fromkeys(range(5), ((time(22), time(6)),)), country="US")
    assert date(2026, 7, 3) in holidays.country_holidays("US", years=2026)
    thursday = datetime(2026, 7, 2, 12, tzinfo=LOS_ANGELES)
    # then Thursday's shift counts in full (8 hours) and Friday's not at all
    assert list(working_intervals(cal, thursday, thursday + 4 * 24 * HOUR)) == [
        (thursday + 10 * HOUR, thursday + 18 * HOUR)
    ]
    # and without observed days the Friday shift is back
    nominal = night_shift(
        hours=dict.fromkeys(range(5), ((time(22), time(6)),)), country="US", observed=False
    )
    assert business_time_between(nominal, thursday, thursday + 4 * 24 * HOUR) == 16 * HOUR


def test_a_holiday_on_a_weekend():
    # given Christmas 2027 falls on Saturday and Boxing Day on Sunday
    christmas_eve = datetime(2027, 12, 24, 17, tzinfo=LONDON)
    # a Bavarian office that works Saturday mornings loses that Saturday
    saturdays = office(hours={5: ((time(9), time(13)),)})
    assert business_time_between(saturdays, christmas_eve, christmas_eve + 7 * 24 * HOUR) == (
        timedelta(0)
    )
    # an English office loses the substitute Monday and Tuesday the package observes
    english = office("Europe/London", country="GB", subdivision="ENG")
    assert add_business_time(english, christmas_eve, HOUR) == datetime(
        2027, 12, 29, 10, tzinfo=LONDON
    )
    nominal = office("Europe/London", country="GB", subdivision="ENG", observed=False)
    assert add_business_time(nominal, christmas_eve, HOUR) == datetime(
        2027, 12, 27, 10, tzinfo=LONDON
    )


def test_closure_days_remove_working_time_like_holidays():
    # given the office closes on 24 December 2026 (a Thursday); 25 and 26 are holidays
    cal = office(closures=frozenset({date(2026, 12, 24)}))
    start = datetime(2026, 12, 23, 16, tzinfo=BERLIN)
    assert add_business_time(cal, start, 2 * HOUR) == datetime(2026, 12, 28, 10, tzinfo=BERLIN)
    assert cal.is_closed(date(2026, 12, 24))
    assert cal.is_closed(date(2026, 12, 25))
    assert not cal.is_closed(date(2026, 12, 23))


def test_three_months_of_business_time_take_milliseconds():
    cal = office()
    start = datetime(2026, 1, 5, 9, tzinfo=BERLIN)
    add_business_time(cal, start, timedelta(days=90))  # warm the per-year caches
    began = clock.perf_counter()
    due = add_business_time(cal, start, timedelta(days=90))
    spent = clock.perf_counter() - began
    assert business_time_between(cal, start, due) == timedelta(days=90)
    assert spent < 0.25


# --- validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "Unknown time zone"),
        ({"time_zone": ""}, "IANA zone name"),
        ({"country": "XX", "subdivision": None}, "Unknown holiday country 'XX'"),
        ({"subdivision": "ZZ"}, "Unknown subdivision 'ZZ' of country 'DE'"),
        ({"country": None}, "needs a country"),
        ({"hours": {}}, "no working hours"),
        ({"hours": {0: (), 1: ()}}, "no working hours"),
        ({"hours": {7: ((time(9), time(17)),)}}, "Weekday keys"),
        ({"hours": {0: ((time(9), "17:00"),)}}, "pair of datetime.time"),
        ({"hours": {0: ((time(9, tzinfo=UTC), time(17)),)}}, "naive local times"),
        ({"hours": {0: ((time(9), time(13)), (time(12), time(17)))}}, "Monday 12:00-17:00"),
        ({"hours": {0: ((time(22), time(6)),), 1: ((time(5), time(9)),)}}, "Tuesday 05:00"),
        ({"hours": {6: ((time(20), time(2)),), 0: ((time(1), time(9)),)}}, "Sunday 20:00"),
        ({"closures": frozenset({datetime(2026, 1, 1, tzinfo=UTC)})}, "datetime.date values"),
    ],
)
def test_invalid_calendars_are_refused(fields, message):
    arguments: dict[str, Any] = {"time_zone": "Europe/Berlin", "hours": {0: ((time(9), time(17)),)}}
    arguments |= {"country": "DE", "subdivision": "BY"} | fields
    with pytest.raises(ValueError, match=message):
        BusinessCalendar(**arguments)


def test_a_calendar_closed_for_over_ten_years_raises_instead_of_looping():
    # given Mondays 09:00-10:00 only, and every Monday closed from 2026 to 2037
    mondays = frozenset(date(2026, 1, 5) + timedelta(weeks=n) for n in range(12 * 53))
    cal = BusinessCalendar("UTC", {0: ((time(9), time(10)),)}, closures=mondays)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="no working time"):
        add_business_time(cal, start, MINUTE)
    assert business_time_between(cal, start, start + timedelta(days=3000)) == timedelta(0)


def test_naive_datetimes_and_negative_durations_raise():
    cal = office()
    naive = datetime(2026, 5, 18, 9)  # noqa: DTZ001 - the point of the test
    aware = naive.replace(tzinfo=BERLIN)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        add_business_time(cal, naive, HOUR)
    with pytest.raises(ValueError, match="end must be timezone-aware"):
        business_time_between(cal, aware, naive)
    with pytest.raises(ValueError, match="start must be timezone-aware"):
        working_intervals(cal, naive, aware)
    with pytest.raises(ValueError, match="must not be negative"):
        add_business_time(cal, aware, -MINUTE)
    with pytest.raises(ValueError, match="before start"):
        working_intervals(cal, aware, aware - MINUTE)


def test_calendars_are_values():
    # ranges given in any order or as lists make the same, hashable calendar
    a = office(hours={0: [(time(13), time(17)), (time(9), time(12))]})
    b = office(hours={0: ((time(9), time(12)), (time(13), time(17)))})
    assert a == b
    assert hash(a) == hash(b)
    assert a.hours[0] == ((time(9), time(12)), (time(13), time(17)))


# --- the brute-force model --------------------------------------------------------------------


def minute_is_working(cal: BusinessCalendar, instant: datetime, closed: dict[date, bool]) -> bool:
    """Does the local wall clock at ``instant`` show a time in a range begun on a working day?"""
    wall = instant.astimezone(ZoneInfo(cal.time_zone)).replace(tzinfo=None)
    for day in (wall.date(), wall.date() - timedelta(days=1)):
        if day not in closed:
            public = cal.country is not None and day in holidays.country_holidays(
                cal.country, subdiv=cal.subdivision, observed=cal.observed, years=day.year
            )
            closed[day] = public or day in cal.closures
        if closed[day]:
            continue
        for start, end in cal.hours.get(day.weekday(), ()):
            begin = datetime.combine(day, start)
            finish = datetime.combine(day, end)
            if finish <= begin:
                finish += timedelta(days=1)
            if begin <= wall < finish:
                return True
    return False


def brute_force(cal: BusinessCalendar, start: datetime, minutes: int) -> list[bool]:
    closed: dict[date, bool] = {}
    return [minute_is_working(cal, start + n * MINUTE, closed) for n in range(minutes)]


def runs(start: datetime, flags: list[bool]) -> list[tuple[datetime, datetime]]:
    found: list[tuple[datetime, datetime]] = []
    for n, working in enumerate(flags):
        if not working:
            continue
        instant = start + n * MINUTE
        if found and found[-1][1] == instant:
            found[-1] = (found[-1][0], instant + MINUTE)
        else:
            found.append((instant, instant + MINUTE))
    return found


ZONES = [
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
]
HOLIDAYS = [(None, None), ("DE", "BY"), ("US", "CA"), ("GB", "ENG"), ("AU", "NSW")]
# Local dates of the DST changes in Europe, the US and New South Wales, 2024-2027, and of
# Christmas and New Year (holidays, some on weekends).
DST_DAYS = [
    date(year, month, day)
    for year, month, day in [
        (2024, 3, 31), (2024, 10, 27), (2025, 3, 30), (2025, 10, 26),
        (2026, 3, 29), (2026, 10, 25), (2027, 3, 28), (2027, 10, 31),
        (2024, 3, 10), (2024, 11, 3), (2025, 3, 9), (2025, 11, 2),
        (2026, 3, 8), (2026, 11, 1), (2027, 3, 14), (2027, 11, 7),
        (2024, 4, 7), (2024, 10, 6), (2025, 4, 6), (2025, 10, 5),
        (2026, 4, 5), (2026, 10, 4), (2027, 4, 4), (2027, 10, 3),
        (2024, 12, 25), (2025, 12, 25), (2026, 12, 25), (2027, 1, 1),
    ]
]  # fmt: skip
WEEK_MINUTES = 7 * 24 * 60


@st.composite
def weekly_hours(draw: st.DrawFn) -> dict[int, list[tuple[time, time]]]:
    """Up to 8 disjoint ranges on the weekly clock, some crossing midnight or Sunday night."""
    count = draw(st.integers(1, 8))
    point = st.one_of(
        st.integers(0, WEEK_MINUTES // 30 - 1).map(lambda n: n * 30),
        st.integers(0, WEEK_MINUTES - 1),
    )
    points = sorted(draw(st.lists(point, min_size=2 * count, max_size=2 * count, unique=True)))
    shift = draw(st.integers(0, WEEK_MINUTES - 1))
    hours: dict[int, list[tuple[time, time]]] = defaultdict(list)
    for begin, finish in zip(points[::2], points[1::2], strict=True):
        length = min(finish - begin, 24 * 60)
        weekday, first = divmod((begin + shift) % WEEK_MINUTES, 24 * 60)
        last = (first + length) % (24 * 60)
        hours[weekday].append((time(*divmod(first, 60)), time(*divmod(last, 60))))
    return dict(hours)


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    zone = draw(st.sampled_from(ZONES))
    country, subdivision = draw(st.sampled_from(HOLIDAYS))
    closures = draw(st.frozensets(st.sampled_from(DST_DAYS).flatmap(near_day), max_size=4))
    if draw(st.integers(0, 9)) == 0:
        return BusinessCalendar.always(
            zone, country=country, subdivision=subdivision, closures=closures
        )
    return BusinessCalendar(
        zone, draw(weekly_hours()), country=country, subdivision=subdivision, closures=closures
    )


def near_day(day: date) -> st.SearchStrategy[date]:
    return st.integers(-3, 10).map(lambda n: day + timedelta(days=n))


@st.composite
def minute_instants(draw: st.DrawFn) -> datetime:
    """A whole UTC minute from a few days before a DST change to a day after."""
    day = draw(st.sampled_from(DST_DAYS))
    minutes = draw(st.integers(-5 * 24 * 60, 24 * 60))
    return datetime.combine(day, time(0), UTC) + minutes * MINUTE


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cal=calendars(),
    start=minute_instants(),
    minutes=st.builds(
        lambda days, rest: days * 24 * 60 + rest, st.integers(0, 13), st.integers(1, 24 * 60)
    ),
    data=st.data(),
)
def test_matches_the_brute_force_model(cal, start, minutes, data):
    flags = brute_force(cal, start, minutes)
    counted = [0, *accumulate(flags)]
    end = start + minutes * MINUTE
    # the working intervals are exactly the runs of working minutes
    assert list(working_intervals(cal, start, end)) == runs(start, flags)
    # time between counts working minutes, either way round, up to any minute
    part = data.draw(st.integers(0, minutes), label="part")
    assert business_time_between(cal, start, end) == counted[-1] * MINUTE
    assert business_time_between(cal, start, start + part * MINUTE) == counted[part] * MINUTE
    assert business_time_between(cal, start + part * MINUTE, start) == -counted[part] * MINUTE
    # adding d minutes ends just after the d-th working minute
    if counted[-1]:
        wanted = data.draw(st.integers(1, counted[-1]), label="duration in minutes")
        reached = counted.index(wanted)
        assert add_business_time(cal, start, wanted * MINUTE) == start + reached * MINUTE


# --- properties over any instant and long durations -------------------------------------------


def weekly_total(cal: BusinessCalendar) -> timedelta:
    total = timedelta(0)
    for ranges in cal.hours.values():
        for start, end in ranges:
            span = datetime.combine(date.min, end) - datetime.combine(date.min, start)
            total += span if span > timedelta(0) else span + timedelta(days=1)
    return total


instants = st.datetimes(
    min_value=datetime(2024, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive
    max_value=datetime(2027, 12, 31),  # noqa: DTZ001
    timezones=st.sampled_from([UTC, BERLIN, ZoneInfo("Australia/Sydney")]),
)


@settings(max_examples=150, deadline=None)
@given(cal=calendars(), start=instants, data=st.data())
def test_add_and_between_agree_over_months(cal, start, data):
    # durations up to about three months of the calendar's hours, to the microsecond
    most = weekly_total(cal) * 13
    fraction = st.floats(0, 1)
    first = data.draw(fraction, label="first") * most
    second = data.draw(fraction, label="second") * most
    # between undoes add
    due = add_business_time(cal, start, first)
    assert business_time_between(cal, start, due) == first
    # adding in two steps is adding the sum, and add grows with the duration
    later = add_business_time(cal, due, second)
    assert add_business_time(cal, start, first + second) == later
    shorter, longer = sorted([first, second])
    assert add_business_time(cal, start, shorter) <= add_business_time(cal, start, longer)
    # between is additive over any split point, in any order
    for a, b, c in [(start, due, later), (later, start, due), (due, later, start)]:
        assert business_time_between(cal, a, b) + business_time_between(cal, b, c) == (
            business_time_between(cal, a, c)
        )
    # round trip from an arbitrary end: add lands on the last working instant at or before it
    # (in UTC: adding to a datetime in a zone is wall-clock arithmetic)
    seconds = data.draw(st.integers(0, 100 * 24 * 3600), label="seconds")
    end = start.astimezone(UTC) + timedelta(seconds=seconds)
    back = add_business_time(cal, start, business_time_between(cal, start, end))
    assert start <= back <= end
    assert business_time_between(cal, back, end) == timedelta(0)
