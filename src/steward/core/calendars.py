"""Business calendars: working hours, time zones and holidays, as pure functions.

SLA clocks build on this module, so it states its rules exactly.

**Working time is a set of real instants.** A ``BusinessCalendar`` names local working ranges
per weekday, a time zone, public holidays (the ``holidays`` package, by country and
subdivision) and the organisation's own closure days. An instant is working time when the
wall clock in the calendar's zone shows a time inside a range that started on a working day:

- Range times are naive local times. A range whose end is at or before its start crosses
  midnight: ``22:00-06:00`` on Monday runs to Tuesday 06:00, and ``00:00-00:00`` is the whole
  day (24 hours). Ranges may touch but not overlap on the weekly clock, counting a range that
  runs past midnight against the next day's ranges.
- A holiday or closure day removes the ranges that *start* on that local date. A range that
  started the day before still runs into the holiday (a Monday-night shift ending at 06:00 on
  a Tuesday holiday counts), and a range starting on a holiday evening does not count at all.
- Wall-clock times are read through ``zoneinfo``. Times skipped when the clocks spring forward
  never show, so ``01:00-04:00`` on that day in Europe/Berlin is 2 real hours. Times repeated
  when they fall back show twice, so ``01:00-04:00`` in Europe/Berlin on that day is 4 real
  hours, and ``00:00-02:30`` is 3, in two pieces (02:00-02:30 shows, and counts, twice).
- Durations are real elapsed time (differences of UTC instants), never wall-clock arithmetic.

**Holidays** come from ``holidays.country_holidays(country, subdiv=subdivision,
observed=observed)`` with the package's default (public) category. ``observed`` defaults to
the package's own default, True: substitute days such as US "Independence Day (observed)" on
the Friday before a Saturday 4 July, or the UK's Monday after a weekend Christmas, are
holidays too. Set it to False to close only on the nominal dates.

**Inputs and outputs.** Every datetime argument must be timezone-aware (``ValueError``
otherwise); the zone it carries does not matter. Every datetime returned is in UTC. (Mind
that Python's ``aware + timedelta`` is wall-clock arithmetic in that datetime's zone; add
real durations to UTC datetimes.)

- ``add_business_time(calendar, start, duration)`` is the earliest instant ``t >= start``
  with ``business_time_between(calendar, start, t) == duration``. So adding zero returns
  ``start`` unchanged (in UTC) even outside working time; a positive duration begins at the
  next working instant; and a result that uses up a range exactly is that range's end, not
  the next range's start (with 09:00-17:00 hours, 8 hours from Monday 09:00 is Monday 17:00).
- ``business_time_between(calendar, start, end)`` is the working time in ``[start, end)``,
  negated when ``end < start`` so that it is additive over any split point.
- ``working_intervals(calendar, start, end)`` yields the maximal working intervals clipped to
  ``[start, end)`` as UTC ``(from, to)`` pairs, in order; adjacent ranges (a day's
  ``18:00-00:00`` and the next day's ``00:00-06:00``, a 24/7 week) come out merged.

A calendar with no ranges at all is refused when built. A calendar whose working time
happens to be closed for longer than ``SEARCH_HORIZON`` (about ten years, by closure days)
makes ``add_business_time`` raise ``ValueError`` instead of searching forever.

Work is done interval by interval, never minute by minute: the zone's UTC offset changes
are found once per zone and year, each stretch of constant offset maps wall-clock ranges to
UTC by subtraction, and holidays are looked up once per country, subdivision and year.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

__all__ = [
    "SEARCH_HORIZON",
    "BusinessCalendar",
    "TimeRange",
    "add_business_time",
    "business_time_between",
    "working_intervals",
]

#: How long ``add_business_time`` looks for working time before it gives up.
SEARCH_HORIZON = timedelta(days=3653)

_DAY = timedelta(days=1)
_WEEK = timedelta(days=7)
_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# The offset scan samples this often, so two offset changes closer than this would be missed.
# No zone in the tz database changes its offset twice within six hours.
_SCAN_STEP = 6 * 3600
# Business time is summed over windows of this length, to check the search horizon between.
_ADD_WINDOW = timedelta(days=366)

TimeRange = tuple[time, time]
# One weekday's ranges as (start after local midnight, length), sorted by start.
_DayRanges = tuple[tuple[timedelta, timedelta], ...]


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """When an organisation works: weekly hours in a time zone, minus holidays and closures.

    ``hours`` maps weekday (0 = Monday .. 6 = Sunday) to ``(start, end)`` local times;
    a weekday left out has no working time. See the module docstring for the exact rules.
    """

    time_zone: str
    hours: Mapping[int, Sequence[TimeRange]] = field(hash=False)
    country: str | None = None
    subdivision: str | None = None
    closures: frozenset[date] = frozenset()
    observed: bool = True
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _weekly: tuple[_DayRanges, ...] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _load_zone(self.time_zone))
        hours = _normalise_hours(self.hours)
        object.__setattr__(self, "hours", MappingProxyType(hours))
        object.__setattr__(self, "_weekly", _weekly_ranges(hours))
        object.__setattr__(self, "closures", _normalise_closures(self.closures))
        _check_holidays(self.country, self.subdivision, self.observed)

    @classmethod
    def always(
        cls,
        time_zone: str = "UTC",
        *,
        country: str | None = None,
        subdivision: str | None = None,
        closures: Iterable[date] = (),
        observed: bool = True,
    ) -> BusinessCalendar:
        """A 24/7 calendar: every day ``00:00-00:00`` (still minus holidays and closures)."""
        midnight = time(0)
        return cls(
            time_zone=time_zone,
            hours={weekday: ((midnight, midnight),) for weekday in range(7)},
            country=country,
            subdivision=subdivision,
            closures=frozenset(closures),
            observed=observed,
        )

    def is_closed(self, day: date) -> bool:
        """Whether ranges starting on this local date are removed (holiday or closure day)."""
        if day in self.closures:
            return True
        if self.country is None:
            return False
        return day in _holiday_dates(self.country, self.subdivision, self.observed, day.year)


def add_business_time(calendar: BusinessCalendar, start: datetime, duration: timedelta) -> datetime:
    """The instant ``duration`` of working time after ``start`` (UTC); see the module docstring."""
    start = _as_utc(start, "start")
    if duration < timedelta(0):
        raise ValueError(f"duration must not be negative, got {duration}.")
    if not duration:
        return start
    remaining = duration
    cursor = start
    last_worked = start
    while True:
        window_end = cursor + _ADD_WINDOW
        for begin, end in _intervals(calendar, cursor, window_end):
            if end - begin >= remaining:
                return begin + remaining
            remaining -= end - begin
            last_worked = end
        if window_end - last_worked > SEARCH_HORIZON:
            raise ValueError(
                f"The calendar has no working time between {last_worked.isoformat()} and "
                f"{window_end.isoformat()}; cannot add {duration}."
            )
        cursor = window_end


def business_time_between(calendar: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    """Working time in ``[start, end)``; negative when ``end`` is before ``start``."""
    start = _as_utc(start, "start")
    end = _as_utc(end, "end")
    if end < start:
        return -business_time_between(calendar, end, start)
    total = timedelta(0)
    for begin, finish in _intervals(calendar, start, end):
        total += finish - begin
    return total


def working_intervals(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """The maximal working intervals within ``[start, end)``, in order, as UTC pairs."""
    start = _as_utc(start, "start")
    end = _as_utc(end, "end")
    if end < start:
        raise ValueError(f"end ({end.isoformat()}) is before start ({start.isoformat()}).")
    return _intervals(calendar, start, end)


# --- Validation -------------------------------------------------------------------------------


def _load_zone(key: str) -> ZoneInfo:
    if not isinstance(key, str) or not key:
        raise ValueError(
            f"time_zone must be an IANA zone name such as 'Europe/Berlin', got {key!r}."
        )
    try:
        return ZoneInfo(key)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"Unknown time zone {key!r}.") from None


def _normalise_hours(hours: Mapping[int, Sequence[TimeRange]]) -> dict[int, tuple[TimeRange, ...]]:
    """Check the weekly hours and return them sorted, with empty weekdays left out."""
    if not isinstance(hours, Mapping):
        raise ValueError("hours must map weekday numbers (0 = Monday .. 6 = Sunday) to ranges.")
    normalised: dict[int, tuple[TimeRange, ...]] = {}
    for weekday, ranges in hours.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValueError(f"Weekday keys must be 0 (Monday) to 6 (Sunday), got {weekday!r}.")
        checked: list[TimeRange] = []
        for pair in ranges:
            if (
                not isinstance(pair, tuple | list)
                or len(pair) != 2
                or not all(isinstance(t, time) for t in pair)
            ):
                raise ValueError(
                    f"{_WEEKDAY_NAMES[weekday]}: each range must be a (start, end) pair of "
                    f"datetime.time, got {pair!r}."
                )
            if any(t.tzinfo is not None for t in pair):
                raise ValueError(
                    f"{_WEEKDAY_NAMES[weekday]}: range times must be naive local times; the "
                    "calendar's time_zone gives their zone."
                )
            checked.append((pair[0].replace(fold=0), pair[1].replace(fold=0)))
        if checked:
            normalised[weekday] = tuple(sorted(checked))
    if not normalised:
        raise ValueError("The calendar has no working hours on any weekday.")
    _check_no_overlap(normalised)
    return dict(sorted(normalised.items()))


def _since_midnight(moment: time) -> timedelta:
    return timedelta(
        hours=moment.hour,
        minutes=moment.minute,
        seconds=moment.second,
        microseconds=moment.microsecond,
    )


def _range_length(start: time, end: time) -> timedelta:
    """How long a range lasts; ``end <= start`` crosses midnight (equal means 24 hours)."""
    length = _since_midnight(end) - _since_midnight(start)
    return length if length > timedelta(0) else length + _DAY


def _check_no_overlap(hours: Mapping[int, tuple[TimeRange, ...]]) -> None:
    """Refuse ranges that overlap on the wall clock, including across midnight and Sunday."""
    week = sorted(
        (weekday * _DAY + _since_midnight(start), _range_length(start, end), weekday, (start, end))
        for weekday, ranges in hours.items()
        for start, end in ranges
    )
    for index, (begin, length, weekday, pair) in enumerate(week):
        if index + 1 < len(week):
            next_begin, _, next_weekday, next_pair = week[index + 1]
        else:
            first_begin, _, next_weekday, next_pair = week[0]
            next_begin = first_begin + _WEEK
        if begin + length > next_begin:
            raise ValueError(
                f"Overlapping ranges: {_WEEKDAY_NAMES[weekday]} {_show(pair)} overlaps "
                f"{_WEEKDAY_NAMES[next_weekday]} {_show(next_pair)}."
            )


def _show(pair: TimeRange) -> str:
    return f"{pair[0].isoformat(timespec='minutes')}-{pair[1].isoformat(timespec='minutes')}"


def _weekly_ranges(hours: Mapping[int, tuple[TimeRange, ...]]) -> tuple[_DayRanges, ...]:
    return tuple(
        tuple((_since_midnight(s), _range_length(s, e)) for s, e in hours.get(weekday, ()))
        for weekday in range(7)
    )


def _normalise_closures(closures: Iterable[date]) -> frozenset[date]:
    days = frozenset(closures)
    for day in days:
        if isinstance(day, datetime) or not isinstance(day, date):
            raise ValueError(f"closures must hold datetime.date values, got {day!r}.")
    return days


def _check_holidays(country: str | None, subdivision: str | None, observed: bool) -> None:
    if country is None:
        if subdivision is not None:
            raise ValueError(f"subdivision {subdivision!r} needs a country.")
        return
    try:
        holidays.country_holidays(country, subdiv=subdivision, observed=observed)
    except NotImplementedError:
        if subdivision is None:
            raise ValueError(f"Unknown holiday country {country!r}.") from None
        try:
            holidays.country_holidays(country)
        except NotImplementedError:
            raise ValueError(f"Unknown holiday country {country!r}.") from None
        raise ValueError(f"Unknown subdivision {subdivision!r} of country {country!r}.") from None


@lru_cache(maxsize=512)
def _holiday_dates(
    country: str, subdivision: str | None, observed: bool, year: int
) -> frozenset[date]:
    """The holiday dates falling in ``year``.

    The neighbouring years are asked too, in case an observed day lands across New Year
    (US New Year's Day on a Saturday is observed on 31 December).
    """
    found = holidays.country_holidays(
        country, subdiv=subdivision, observed=observed, years=(year - 1, year, year + 1)
    )
    return frozenset(day for day in found if day.year == year)


# --- Interval generation ----------------------------------------------------------------------


def _as_utc(moment: datetime, name: str) -> datetime:
    if not isinstance(moment, datetime):
        raise ValueError(f"{name} must be a datetime, got {moment!r}.")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {moment.isoformat()}.")
    return moment.astimezone(UTC)


def _intervals(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Merged working intervals within ``[start, end)``; both arguments aware UTC."""
    pending: tuple[datetime, datetime] | None = None
    for begin, finish in _raw_intervals(calendar, start, end):
        if pending is not None and begin <= pending[1]:
            pending = (pending[0], max(pending[1], finish))
            continue
        if pending is not None:
            yield pending
        pending = (begin, finish)
    if pending is not None:
        yield pending


def _raw_intervals(
    calendar: BusinessCalendar, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals in order, disjoint but possibly touching (not yet merged).

    Within a stretch of constant UTC offset, local wall time is UTC plus the offset, so each
    local range maps to UTC by subtracting the offset and clipping to the stretch. A range cut
    by an offset change falls into two stretches and comes out as two pieces.
    """
    weekly = calendar._weekly
    for seg_start, seg_end, offset in _offset_segments(calendar._zone, start, end):
        lo = seg_start.replace(tzinfo=None)
        hi = seg_end.replace(tzinfo=None)
        wall_lo = lo + offset
        wall_hi = hi + offset
        day = wall_lo.date() - _DAY  # the day before may have a range crossing midnight
        last_day = wall_hi.date()
        while day <= last_day:
            ranges = weekly[day.weekday()]
            if ranges and not calendar.is_closed(day):
                midnight = datetime.combine(day, time(0))
                for since_midnight, length in ranges:
                    begin = max(midnight + since_midnight - offset, lo)
                    finish = min(midnight + since_midnight + length - offset, hi)
                    if begin < finish:
                        yield begin.replace(tzinfo=UTC), finish.replace(tzinfo=UTC)
            day += _DAY


def _offset_segments(
    zone: ZoneInfo, start: datetime, end: datetime
) -> Iterator[tuple[datetime, datetime, timedelta]]:
    """Split ``[start, end)`` (aware UTC) into stretches of constant UTC offset."""
    cursor = start
    while cursor < end:
        offset = cursor.astimezone(zone).utcoffset() or timedelta(0)
        change = _next_change(zone, cursor, end)
        stop = end if change is None else change
        yield cursor, stop, offset
        cursor = stop


def _next_change(zone: ZoneInfo, after: datetime, limit: datetime) -> datetime | None:
    """The first offset change strictly after ``after`` and before ``limit``, if any."""
    for year in range(after.year, limit.year + 1):
        for moment in _offset_changes(zone, year):
            if moment >= limit:
                return None
            if moment > after:
                return moment
    return None


def _offset_at(zone: ZoneInfo, timestamp: int) -> timedelta:
    return datetime.fromtimestamp(timestamp, zone).utcoffset() or timedelta(0)


@lru_cache(maxsize=256)
def _offset_changes(zone: ZoneInfo, year: int) -> tuple[datetime, ...]:
    """The instants (UTC) in ``(1 Jan year, 1 Jan year+1]`` where the zone's offset changes.

    ``zoneinfo`` does not expose its transitions, so sample every six hours and bisect to the
    second between two samples with different offsets.
    """
    first = int(datetime(year, 1, 1, tzinfo=UTC).timestamp())
    last = int(datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    changes: list[datetime] = []
    low, low_offset = first, _offset_at(zone, first)
    while low < last:
        high = min(low + _SCAN_STEP, last)
        high_offset = _offset_at(zone, high)
        if high_offset != low_offset:
            before, after = low, high  # offset(before) == low_offset != offset(after)
            while after - before > 1:
                middle = (before + after) // 2
                if _offset_at(zone, middle) == low_offset:
                    before = middle
                else:
                    after = middle
            changes.append(datetime.fromtimestamp(after, UTC))
        low, low_offset = high, high_offset
    return tuple(changes)
