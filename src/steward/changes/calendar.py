"""The change calendar: the forward schedule of changes with the maintenance windows and
freezes around them, as month and week grids and as an iCalendar (RFC 5545) feed.

Everything here reads; what a person sees is what the policy lets them see (requesters, who
may not see changes, get no calendar at all). Times are shown in the site's time zone; a
change or window spanning several days appears on each of them.
"""

from __future__ import annotations

import calendar as stdlib_calendar
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from steward.core import conf, policy, workflow
from steward.core.workflow import Category

from .choices import ChangeType
from .conflicts import window_intervals
from .models import Change
from .models_schedule import BlackoutWindow, MaintenanceWindow, WindowKind

#: The most maintenance-window occurrences one view shows (the rest are counted).
MAX_WINDOW_OCCURRENCES = 500
#: The most entries a month's day cell lists; the rest are counted ("+12 more") and
#: shown by the week view. A day with 190 changes is not read in a month grid anyway.
MONTH_DAY_LIMIT = 12
#: What the feed covers: the recent past and the year ahead.
FEED_PAST = timedelta(days=31)
FEED_AHEAD = timedelta(days=366)


@dataclass
class CalendarEntry:
    """One bar on the calendar: a change, a maintenance window or a blackout."""

    kind: str  # "change", "maintenance", "blackout"
    title: str
    start: datetime
    end: datetime
    url: str = ""
    detail: str = ""
    css: str = ""


@dataclass
class CalendarFilter:
    """What the calendar is narrowed to (``None``: everything visible)."""

    service: int | None = None
    team: int | None = None
    change_type: str | None = None


@dataclass
class Day:
    day: date
    in_period: bool
    entries: list[CalendarEntry] = field(default_factory=list)
    html: str = ""
    more: int = 0  # entries not listed in a month cell (the week view lists them all)


@dataclass
class CalendarView:
    """A month or week: its days (in weeks of seven), entries and how many were left out."""

    mode: str
    start: date
    end: date  # exclusive
    weeks: list[list[Day]]
    previous: date
    following: date
    title: str
    change_count: int = 0
    windows_left_out: int = 0


def require_viewer(user: Any) -> None:
    """Only those who may see changes have a calendar (404 for everybody else)."""
    policy.require_model(user, Change, "view")


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _instant(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=_zone())


def changes_between(user: Any, start: datetime, end: datetime, filters: CalendarFilter) -> Any:
    """Visible changes occupying the schedule in ``[start, end)``, earliest first."""
    rows = (
        Change.objects.visible_to(user)
        .filter(planned_start__lt=end, planned_end__gt=start)
        .exclude(state_category=Category.CLOSED)
    )
    if filters.service is not None:
        rows = rows.filter(service_id=filters.service)
    if filters.team is not None:
        rows = rows.filter(team_id=filters.team)
    if filters.change_type:
        rows = rows.filter(change_type=filters.change_type)
    return rows.order_by("planned_start", "id")


def entries_between(
    user: Any, start: datetime, end: datetime, filters: CalendarFilter
) -> tuple[list[CalendarEntry], int, int]:
    """The entries in ``[start, end)``, the number of changes, and windows left out."""
    # Plain rows and one reverse: a month may hold thousands of changes.
    url = reverse("tickets:ticket_detail", args=["NUMBER"])
    types = dict(ChangeType.choices)
    labels = workflow.state_labels()
    rows = changes_between(user, start, end, filters).values_list(
        "number", "title", "planned_start", "planned_end", "change_type", "state"
    )
    entries = [
        CalendarEntry(
            kind="change",
            title=f"{number} {title}",
            start=begin,
            end=finish,
            url=url.replace("NUMBER", number),
            detail=f"{types.get(kind, kind)} change, {labels.get(state, state)}",
            css=f"change change-{kind}",
        )
        for number, title, begin, finish, kind, state in rows
    ]
    changes = len(entries)
    freezes = BlackoutWindow.objects.visible_to(user).overlapping(start, end)
    if filters.service is not None:
        freezes = freezes.filter(Q(service_id=filters.service) | Q(service__isnull=True))
    for b in freezes.select_related("service"):
        entries.append(
            CalendarEntry(
                kind="blackout",
                title=f"Blackout: {b.name}",
                start=b.starts_at,
                end=b.ends_at,
                url=b.get_absolute_url() if policy.can(user, "change", b) else "",
                detail=f"{b.scope_label}, {b.get_policy_display().lower()}",
                css=f"blackout blackout-{b.policy}",
            )
        )
    windows = MaintenanceWindow.objects.visible_to(user).filter(
        Q(kind=WindowKind.RECURRING) | Q(starts_at__lt=end, ends_at__gt=start)
    )
    if filters.service is not None:
        windows = windows.filter(configuration_item_id=filters.service)
    shown = 0
    expanded = 0
    known: dict[tuple[Any, ...], list[tuple[datetime, datetime]]] = {}
    rows = windows.select_related("configuration_item").order_by("pk")
    for w in rows.iterator(chunk_size=100):
        if shown >= MAX_WINDOW_OCCURRENCES:
            break  # the rest are counted: the view asks to filter by service
        expanded += 1
        # Many CIs share one definition ("weekend nights"): its times are worked out once.
        definition = (
            w.kind,
            tuple(w.weekdays),
            w.start_time,
            w.end_time,
            w.time_zone,
            w.starts_at,
            w.ends_at,
        )
        if definition not in known:
            known[definition] = window_intervals(w, start, end)
        for low, high in known[definition]:
            shown += 1
            entries.append(
                CalendarEntry(
                    kind="maintenance",
                    title=f"Maintenance: {w.configuration_item.name}",
                    start=low,
                    end=high,
                    detail=w.describe(),
                    css="maintenance",
                )
            )
    left_out = windows.count() - expanded if shown >= MAX_WINDOW_OCCURRENCES else 0
    return entries, changes, left_out


def _entry_html(entry: CalendarEntry, low: datetime, high: datetime, timed: bool) -> str:
    """One entry as a list item, written once and escaped here (a month may show
    thousands: plain ``html.escape`` rather than a template or ``format_html``)."""
    title = escape(entry.title)
    label = f'<a href="{escape(entry.url)}">{title}</a>' if entry.url else title
    when = f'<span class="time">{low:%H:%M}–{high:%H:%M}</span> ' if timed else ""
    return (
        f'<li class="entry {escape(entry.css)}" title="{escape(entry.detail)} '
        f'({low:%Y-%m-%d %H:%M} – {high:%Y-%m-%d %H:%M})" data-kind="{escape(entry.kind)}">'
        f"{when}{label}</li>"
    )


def _place(
    entries: Iterable[CalendarEntry],
    days: dict[date, Day],
    *,
    timed: bool,
    limit: int | None = None,
) -> None:
    """Put each entry on every day it touches (local dates), and write each day's list
    (at most ``limit`` entries a day; the others are counted in ``Day.more``)."""
    zone = _zone()
    first_day = min(days)
    parts: dict[date, list[str]] = {d: [] for d in days}
    for entry in entries:
        low = entry.start.astimezone(zone)
        high = entry.end.astimezone(zone)
        last = (entry.end - timedelta(microseconds=1)).astimezone(zone).date()
        html = ""
        day = max(low.date(), first_day)
        while day <= last and day in days:
            cell = days[day]
            if limit is not None and len(parts[day]) >= limit:
                cell.more += 1
            else:
                html = html or _entry_html(entry, low, high, timed)
                cell.entries.append(entry)
                parts[day].append(html)
            day += timedelta(days=1)
    for day, cell in days.items():
        cell.html = mark_safe("".join(parts[day]))  # noqa: S308  escaped in _entry_html


def month_view(user: Any, year: int, month: int, filters: CalendarFilter) -> CalendarView:
    """The month's weeks (Monday first), with the days of the neighbouring months greyed."""
    require_viewer(user)
    first = date(year, month, 1)
    weeks_raw = stdlib_calendar.Calendar(firstweekday=0).monthdatescalendar(year, month)
    grid_start, grid_end = weeks_raw[0][0], weeks_raw[-1][-1] + timedelta(days=1)
    days = {d: Day(d, d.month == month) for week in weeks_raw for d in week}
    entries, count, left_out = entries_between(
        user, _instant(grid_start), _instant(grid_end), filters
    )
    _place(entries, days, timed=False, limit=MONTH_DAY_LIMIT)
    following = (first + timedelta(days=32)).replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return CalendarView(
        mode="month",
        start=first,
        end=following,
        weeks=[[days[d] for d in week] for week in weeks_raw],
        previous=previous,
        following=following,
        title=f"{stdlib_calendar.month_name[month]} {year}",
        change_count=count,
        windows_left_out=left_out,
    )


def week_view(user: Any, day: date, filters: CalendarFilter) -> CalendarView:
    """The ISO week (Monday to Sunday) holding ``day``."""
    require_viewer(user)
    monday = day - timedelta(days=day.weekday())
    following = monday + timedelta(days=7)
    days = {monday + timedelta(days=i): Day(monday + timedelta(days=i), True) for i in range(7)}
    entries, count, left_out = entries_between(user, _instant(monday), _instant(following), filters)
    _place(entries, days, timed=True)
    year, week, _ = monday.isocalendar()
    return CalendarView(
        mode="week",
        start=monday,
        end=following,
        weeks=[list(days.values())],
        previous=monday - timedelta(days=7),
        following=following,
        title=f"Week {week}, {year}",
        change_count=count,
        windows_left_out=left_out,
    )


# --- iCalendar ---------------------------------------------------------------------------

_BYDAY = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


def _uid(kind: str, pk: int) -> str:
    domain = str(conf.get("MAIL_DOMAIN")) or "localhost"
    return f"{kind}-{pk}@{domain}"


def feed(user: Any, *, now: datetime | None = None) -> bytes:
    """The person's iCalendar: the changes they see from a month ago to a year ahead, the
    freezes, and the maintenance windows (weekly ones as weekly recurring events in their own
    time zone)."""
    require_viewer(user)
    now = now or timezone.now()
    start, end = now - FEED_PAST, now + FEED_AHEAD
    cal = icalendar.Calendar()
    cal.add("prodid", f"-//{conf.get('SITE_NAME')}//Change calendar//EN")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{conf.get('SITE_NAME')} changes")
    public = str(conf.get("PUBLIC_URL")).rstrip("/")
    stamp = now.replace(microsecond=0)
    labels = workflow.state_labels()
    rows = changes_between(user, start, end, CalendarFilter()).only(
        "number", "title", "planned_start", "planned_end", "change_type", "state"
    )
    for change in rows:
        event = icalendar.Event()
        event.add("uid", _uid("change", change.pk))
        event.add("dtstamp", stamp)
        event.add("dtstart", change.planned_start)
        event.add("dtend", change.planned_end)
        event.add("summary", f"{change.number} {change.title}")
        state = labels.get(change.state, change.state)
        event.add("description", f"{change.get_change_type_display()} change, {state}")
        event.add("url", f"{public}{change.get_absolute_url()}")
        event.add("categories", ["Change"])
        cal.add_component(event)
    for b in (
        BlackoutWindow.objects.visible_to(user).overlapping(start, end).select_related("service")
    ):
        event = icalendar.Event()
        event.add("uid", _uid("blackout", b.pk))
        event.add("dtstamp", stamp)
        event.add("dtstart", b.starts_at)
        event.add("dtend", b.ends_at)
        event.add("summary", f"Blackout: {b.name}")
        event.add("description", f"{b.scope_label}; {b.get_policy_display()}. {b.reason}".strip())
        event.add("categories", ["Blackout"])
        event.add("transp", "OPAQUE")
        cal.add_component(event)
    windows = MaintenanceWindow.objects.visible_to(user).filter(
        Q(kind=WindowKind.RECURRING) | Q(starts_at__lt=end, ends_at__gt=start)
    )
    for w in windows.select_related("configuration_item").order_by("pk"):
        cal.add_component(_window_event(w, stamp))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def _window_event(window: MaintenanceWindow, stamp: datetime) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", _uid("maintenance", window.pk))
    event.add("dtstamp", stamp)
    event.add("summary", f"Maintenance: {window.configuration_item.name}")
    event.add("description", f"{window.name}: {window.describe()}")
    event.add("categories", ["Maintenance window"])
    event.add("transp", "TRANSPARENT")
    if window.kind == WindowKind.ONE_OFF:
        event.add("dtstart", window.starts_at)
        event.add("dtend", window.ends_at)
        return event
    assert window.start_time is not None and window.end_time is not None
    zone = ZoneInfo(window.time_zone)
    anchor = window.created_at.astimezone(zone).date()
    while anchor.weekday() not in window.weekdays:
        anchor += timedelta(days=1)
    begin = datetime.combine(anchor, window.start_time, tzinfo=zone)
    finish_day = anchor if window.end_time > window.start_time else anchor + timedelta(days=1)
    event.add("dtstart", begin)
    event.add("dtend", datetime.combine(finish_day, window.end_time, tzinfo=zone))
    event.add("rrule", {"freq": "weekly", "byday": [_BYDAY[d] for d in window.weekdays]})
    return event
