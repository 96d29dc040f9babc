"""Factories for the schedule tests: a small CMDB, changes planned on it, windows."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from steward.changes.models import Change
from steward.changes.models_schedule import BlackoutWindow, MaintenanceWindow, WindowKind
from steward.changes.schedule import services
from steward.changes.tests.factories import make_change
from steward.cmdb.models import ConfigurationItem
from steward.cmdb.tests.factories import (
    make_ci,
    make_relationship,
    make_relationship_type,
    make_service,
)

#: A Saturday, far enough ahead of any test's "now".
SATURDAY = datetime(2031, 3, 1, tzinfo=UTC)


def at(hours: float, day: datetime = SATURDAY) -> datetime:
    return day + timedelta(hours=hours)


def planned(
    ci: ConfigurationItem | None = None, *, start: float, end: float, **more: Any
) -> Change:
    """A change in state *new* planned from ``start`` to ``end`` hours after ``SATURDAY``."""
    values: dict[str, Any] = {"planned_start": at(start), "planned_end": at(end)}
    if ci is not None:
        values["configuration_item"] = ci
    values.update(more)
    return make_change(**values)


def close(change: Change) -> None:
    Change.objects.filter(pk=change.pk).update(state="cancelled", state_category="closed")


class Shop:
    """app_a -runs on-> server <-runs on- app_c; app_a -provides-> service;
    far -runs on-> app_c (3 hops from app_a)."""

    def __init__(self) -> None:
        self.runs_on = make_relationship_type(name="runs on", reverse_name="hosts")
        self.provides = make_relationship_type(name="provides", reverse_name="is provided by")
        self.server = make_ci(name="srv-01")
        self.app_a = make_ci(name="payroll-app")
        self.app_c = make_ci(name="hr-app")
        self.far = make_ci(name="hr-batch")
        self.service = make_service(name="Payroll")
        make_relationship(source=self.app_a, type=self.runs_on, target=self.server)
        make_relationship(source=self.app_c, type=self.runs_on, target=self.server)
        make_relationship(source=self.app_a, type=self.provides, target=self.service)
        make_relationship(source=self.far, type=self.runs_on, target=self.app_c)


def weekly_window(ci: ConfigurationItem, **overrides: Any) -> MaintenanceWindow:
    values: dict[str, Any] = {
        "name": "Weekend nights",
        "kind": WindowKind.RECURRING,
        "weekdays": [5, 6],
        "start_time": time(22),
        "end_time": time(4),
        "time_zone": "UTC",
    }
    values.update(overrides)
    return services.create_maintenance_window(actor=None, configuration_item=ci, **values)


def blackout(**overrides: Any) -> BlackoutWindow:
    values: dict[str, Any] = {
        "name": "Year-end freeze",
        "starts_at": at(-24),
        "ends_at": at(48),
    }
    values.update(overrides)
    return services.create_blackout(actor=None, **values)
