"""Every write to the change schedule's records: maintenance windows, blackout windows, the
conflict policy and calendar feed keys. Actor first, one transaction, audited; change
managers (``changes.*``) write, staff who see changes read, requesters see nothing.

Overrides of blocking conflicts are written by ``changes.conflicts.check_schedule``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, time
from typing import Any

from django.core import signing
from django.db import transaction
from django.utils import timezone

from steward.changes.models_schedule import (
    MAX_HOPS,
    BlackoutWindow,
    CalendarFeed,
    ConflictAction,
    MaintenanceWindow,
    SchedulePolicy,
    WindowKind,
)
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, policy
from steward.core.calendars import BusinessCalendar
from steward.core.errors import RuleViolation, refuse_unknown

WINDOW_FIELDS = (
    "name",
    "configuration_item",
    "kind",
    "weekdays",
    "start_time",
    "end_time",
    "time_zone",
    "starts_at",
    "ends_at",
    "description",
)
BLACKOUT_FIELDS = ("name", "service", "starts_at", "ends_at", "policy", "reason")
POLICY_FIELDS = ("same_ci", "related_ci", "outside_window", "hops")
FEED_SALT = "steward.changes.calendar-feed"


# --- maintenance windows -----------------------------------------------------------------


def _check_window(window: MaintenanceWindow) -> None:
    """One row's rules, each refusal on its field; the window's shape per kind."""
    errors: dict[str, str] = {}
    if not window.name.strip():
        errors["name"] = "Give the window a name."
    if window.kind not in WindowKind.values:
        errors["kind"] = "Choose weekly or one-off."
    elif window.kind == WindowKind.ONE_OFF:
        if window.starts_at is None:
            errors["starts_at"] = "A one-off window needs a start."
        if window.ends_at is None:
            errors["ends_at"] = "A one-off window needs an end."
        elif window.starts_at is not None and window.ends_at <= window.starts_at:
            errors["ends_at"] = "The window ends before it starts."
        window.weekdays, window.start_time, window.end_time = [], None, None
    else:
        days = window.weekdays
        if not isinstance(days, list) or not days:
            errors["weekdays"] = "Choose at least one day."
        elif any(not isinstance(d, int) or isinstance(d, bool) or not 0 <= d <= 6 for d in days):
            errors["weekdays"] = "Days are numbers from 0 (Monday) to 6 (Sunday)."
        else:
            window.weekdays = sorted(set(days))
        if not isinstance(window.start_time, time):
            errors["start_time"] = "A weekly window needs a start time."
        if not isinstance(window.end_time, time):
            errors["end_time"] = "A weekly window needs an end time."
        if not errors and window.start_time and window.end_time:
            span = (window.start_time, window.end_time)
            try:
                BusinessCalendar(
                    time_zone=window.time_zone, hours={d: [span] for d in window.weekdays}
                )
            except ValueError as exc:
                errors["time_zone"] = str(exc)
        window.starts_at = window.ends_at = None
    if errors:
        raise RuleViolation(errors)


@transaction.atomic
def create_maintenance_window(
    *, actor: Any, configuration_item: ConfigurationItem, **values: Any
) -> MaintenanceWindow:
    """Add a maintenance window to a CI (or service)."""
    if actor is not None:  # None: the system
        policy.require_add(actor, MaintenanceWindow)
    refuse_unknown(values, WINDOW_FIELDS)
    window = MaintenanceWindow(configuration_item=configuration_item, **values)
    _check_window(window)
    window.full_clean()
    window.save()
    audit.record(
        actor=actor,
        action="maintenancewindow.created",
        obj=window,
        changes=audit.snapshot(window, WINDOW_FIELDS),
    )
    return window


@transaction.atomic
def update_maintenance_window(
    *, actor: Any, window: MaintenanceWindow, **changes: Any
) -> MaintenanceWindow:
    """Change a maintenance window; a refused change leaves it as it was."""
    locked = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    refuse_unknown(changes, WINDOW_FIELDS)
    before = audit.snapshot(locked, WINDOW_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_window(locked)
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit.record(
        actor=actor,
        action="maintenancewindow.updated",
        obj=locked,
        changes=audit.diff(before, audit.snapshot(locked, WINDOW_FIELDS)),
    )
    return locked


@transaction.atomic
def delete_maintenance_window(*, actor: Any, window: MaintenanceWindow) -> None:
    locked = MaintenanceWindow.objects.select_for_update().get(pk=window.pk)
    if actor is not None:
        policy.require(actor, "delete", locked)
    audit.record(
        actor=actor,
        action="maintenancewindow.deleted",
        obj=locked,
        changes=audit.snapshot(locked, WINDOW_FIELDS),
    )
    locked.delete()


# --- blackout windows --------------------------------------------------------------------


def _check_blackout(blackout: BlackoutWindow) -> None:
    errors: dict[str, str] = {}
    if not blackout.name.strip():
        errors["name"] = "Give the blackout a name."
    if blackout.policy not in ConflictAction.values:
        errors["policy"] = "Choose warn or block."
    start, end = blackout.starts_at, blackout.ends_at
    if not isinstance(start, datetime):
        errors["starts_at"] = "A blackout needs a start."
    if not isinstance(end, datetime):
        errors["ends_at"] = "A blackout needs an end."
    elif isinstance(start, datetime) and end <= start:
        errors["ends_at"] = "The blackout ends before it starts."
    if errors:
        raise RuleViolation(errors)
    if blackout.service_id is not None:
        ConfigurationItem.objects.select_for_update().filter(pk=blackout.service_id).first()
    clash = (
        BlackoutWindow.objects.select_for_update()
        .overlapping(start, end)
        .filter(service_id=blackout.service_id)
        .exclude(pk=blackout.pk)
        .order_by("starts_at")
        .first()
    )
    if clash is not None:
        scope = f"for {clash.service}" if clash.service_id else "for all changes"
        raise RuleViolation(
            {
                "starts_at": (
                    f"Overlaps the blackout “{clash.name}” {scope} "
                    f"({clash.starts_at:%Y-%m-%d %H:%M} - {clash.ends_at:%Y-%m-%d %H:%M} UTC); "
                    "extend that one or choose a period that does not overlap it."
                )
            }
        )


@transaction.atomic
def create_blackout(*, actor: Any, **values: Any) -> BlackoutWindow:
    """Declare a change freeze (every change, or one service's)."""
    if actor is not None:  # None: the system
        policy.require_add(actor, BlackoutWindow)
    refuse_unknown(values, BLACKOUT_FIELDS)
    blackout = BlackoutWindow(
        created_by=actor if getattr(actor, "is_authenticated", False) else None, **values
    )
    _check_blackout(blackout)
    blackout.full_clean()
    blackout.save()
    audit.record(
        actor=actor,
        action="blackoutwindow.created",
        obj=blackout,
        changes=audit.snapshot(blackout, BLACKOUT_FIELDS),
    )
    return blackout


@transaction.atomic
def update_blackout(*, actor: Any, blackout: BlackoutWindow, **changes: Any) -> BlackoutWindow:
    locked = BlackoutWindow.objects.select_for_update().get(pk=blackout.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    refuse_unknown(changes, BLACKOUT_FIELDS)
    before = audit.snapshot(locked, BLACKOUT_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_blackout(locked)
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit.record(
        actor=actor,
        action="blackoutwindow.updated",
        obj=locked,
        changes=audit.diff(before, audit.snapshot(locked, BLACKOUT_FIELDS)),
    )
    return locked


@transaction.atomic
def delete_blackout(*, actor: Any, blackout: BlackoutWindow) -> None:
    locked = BlackoutWindow.objects.select_for_update().get(pk=blackout.pk)
    if actor is not None:
        policy.require(actor, "delete", locked)
    audit.record(
        actor=actor,
        action="blackoutwindow.deleted",
        obj=locked,
        changes=audit.snapshot(locked, BLACKOUT_FIELDS),
    )
    locked.delete()


# --- the conflict policy -----------------------------------------------------------------


@transaction.atomic
def update_schedule_policy(*, actor: Any, **changes: Any) -> SchedulePolicy:
    """Set warn/block per conflict kind and the hops; change managers only."""
    if actor is not None and not policy.has_model_permission(actor, SchedulePolicy, "change"):
        raise_forbidden()
    refuse_unknown(changes, POLICY_FIELDS)
    current, _ = SchedulePolicy.objects.select_for_update().get_or_create(pk=1)
    before = audit.snapshot(current, POLICY_FIELDS)
    errors: dict[str, str] = {}
    for name, value in changes.items():
        if name == "hops":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_HOPS:
                errors[name] = f"Choose from 1 to {MAX_HOPS} hops."
        elif value not in ConflictAction.values:
            errors[name] = "Choose warn or block."
        setattr(current, name, value)
    if errors:
        raise RuleViolation(errors)
    current.updated_at = timezone.now()
    current.save()
    audit.record(
        actor=actor,
        action="schedulepolicy.updated",
        obj=current,
        changes=audit.diff(before, audit.snapshot(current, POLICY_FIELDS)),
    )
    return current


def raise_forbidden() -> None:
    from steward.core.errors import Forbidden

    raise Forbidden("You may not change the schedule policy.")


# --- calendar feed tokens ----------------------------------------------------------------


def feed_token(person: Any) -> str:
    """The signed token of ``person``'s calendar feed (made on first use)."""
    feed, _ = CalendarFeed.objects.get_or_create(person=person)
    return signing.dumps([person.pk, feed.key], salt=FEED_SALT, compress=True)


@transaction.atomic
def reset_feed_token(*, actor: Any) -> str:
    """Replace the person's feed key: every earlier feed URL stops working."""
    feed, _ = CalendarFeed.objects.select_for_update().get_or_create(person=actor)
    feed.key = secrets.token_urlsafe()
    feed.created_at = timezone.now()
    feed.save(update_fields=["key", "created_at"])
    audit.record(actor=actor, action="calendarfeed.reset", obj=feed, changes={})
    return signing.dumps([actor.pk, feed.key], salt=FEED_SALT, compress=True)


def person_for_feed_token(token: str) -> Any:
    """The active person a feed token belongs to, or ``None`` (bad, reset or inactive)."""
    try:
        person_id, key = signing.loads(token, salt=FEED_SALT)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    feed = (
        CalendarFeed.objects.select_related("person")
        .filter(person_id=person_id, key=key, person__is_active=True)
        .first()
    )
    return feed.person if feed is not None else None


def windows_for(ci_ids: Iterable[int]) -> list[MaintenanceWindow]:
    return list(
        MaintenanceWindow.objects.for_cis(list(ci_ids)).select_related("configuration_item")
    )
