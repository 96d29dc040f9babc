"""Factories for service level management: plain functions with defaults."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_organisation, make_person
from steward.sla import services
from steward.sla.models import Agreement, BusinessCalendar, Target

_seq = itertools.count(1)

OFFICE_HOURS = {str(day): ["09:00-17:00"] for day in range(5)}


def make_calendar(**overrides: Any) -> BusinessCalendar:
    n = next(_seq)
    values: dict[str, Any] = {"name": f"Calendar {n}", "time_zone": "UTC", "hours": OFFICE_HOURS}
    values.update(overrides)
    return services.create_calendar(actor=None, **values)


def make_agreement(**overrides: Any) -> Agreement:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Agreement {n}",
        "code": f"agreement-{n}",
        "kind": "sla",
        "valid_from": date(2020, 1, 1),
    }
    values.update(overrides)
    if values["kind"] == "sla" and "customer" not in values:
        values["customer"] = make_organisation()
    if "calendar" not in values:
        values["calendar"] = make_calendar()
    return services.create_agreement(actor=None, **values)


def make_target(agreement: Agreement | None = None, **overrides: Any) -> Target:
    values: dict[str, Any] = {
        "metric": "resolution",
        "ticket_kind": "tickets.ticket",
        "priority": 5,
        "duration": 4,
        "unit": "hours",
    }
    values.update(overrides)
    return services.create_target(actor=None, agreement=agreement or make_agreement(), **values)


def make_service_level_manager(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.SERVICE_LEVEL_MANAGER], **overrides)
