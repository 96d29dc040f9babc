"""The incident workflow's named guard and effects, and the business calendar they use.

Registered in ``apps.py``; the engine runs them inside the transition's transaction.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

from steward.core import conf, policy
from steward.core.calendars import BusinessCalendar, add_business_time


def _business_hours() -> tuple[time, time]:
    start, _, end = str(conf.get("BUSINESS_HOURS")).partition("-")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


def business_calendar() -> BusinessCalendar:
    """The default calendar: ``BUSINESS_HOURS`` on ``BUSINESS_WEEKDAYS`` in ``TIME_ZONE``."""
    from django.conf import settings

    country = str(conf.get("BUSINESS_HOLIDAY_COUNTRY") or "") or None
    return BusinessCalendar(
        time_zone=settings.TIME_ZONE,
        hours={int(day): (_business_hours(),) for day in conf.get("BUSINESS_WEEKDAYS")},
        country=country,
    )


def reopen_window_end(resolved_at: datetime) -> datetime:
    """When an incident resolved at ``resolved_at`` closes by itself.

    ``INCIDENT_AUTO_CLOSE_BUSINESS_DAYS`` full working days of the business calendar after
    it was resolved (3 days of 08:00-18:00 from Friday 17:00 end on Wednesday 17:00).
    """
    start, end = _business_hours()
    day = datetime.combine(date.min, end) - datetime.combine(date.min, start)
    if day <= timedelta(0):
        day += timedelta(days=1)  # hours across midnight, or 00:00-00:00
    days = int(conf.get("INCIDENT_AUTO_CLOSE_BUSINESS_DAYS"))
    return add_business_time(business_calendar(), resolved_at, day * days)


def may_reopen(incident: Any, actor: Any) -> str | None:
    """Guard: the service desk reopens any time; the requester only inside the window."""
    if actor is None or policy.can(actor, "change", incident):
        return None
    if actor.pk == incident.requester_id and incident.can_reopen_by_requester():
        return None
    if actor.pk == incident.requester_id:
        return "The time to reopen this incident has passed; please open a new one."
    return "Only the service desk or the requester may reopen this incident."


def start_reopen_window(incident: Any, **kwargs: Any) -> None:
    """Effect of resolving: the incident closes by itself when the window ends."""
    incident.auto_close_at = reopen_window_end(incident.resolved_at or timezone.now())
    incident.save(update_fields=["auto_close_at"])


def end_reopen_window(incident: Any, **kwargs: Any) -> None:
    """Effect of closing: nothing is left to close by itself."""
    if incident.auto_close_at is not None:
        incident.auto_close_at = None
        incident.save(update_fields=["auto_close_at"])


def count_reopen(incident: Any, **kwargs: Any) -> None:
    """Effect of reopening: one more reopen, and no automatic closing any more."""
    incident.reopen_count += 1
    incident.auto_close_at = None
    incident.save(update_fields=["reopen_count", "auto_close_at"])


def clear_hold_reason(incident: Any, **kwargs: Any) -> None:
    """Effect of leaving "on hold": the reason no longer applies."""
    if incident.hold_reason:
        incident.hold_reason = ""
        incident.save(update_fields=["hold_reason"])


def escalate_on_breach(*, clock: Any, ticket: Any, threshold: int) -> str:
    """SLA action ``escalate``: hand the incident to the next support line, as the system."""
    from steward.incidents import services

    before = ticket.team
    updated = services.escalate(actor=None, incident=ticket)
    return f"escalated from {before or 'no team'} to {updated.team}"
