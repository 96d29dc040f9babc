"""Factories for changes: plain functions with defaults."""

from __future__ import annotations

import itertools
from datetime import timedelta
from typing import Any

from django.utils import timezone

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_person
from steward.changes.models import Change
from steward.tickets import services as tickets

_seq = itertools.count(1)


def make_change_manager(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.CHANGE_MANAGER], **overrides)


def window(days: int = 2, hours: int = 2) -> dict[str, Any]:
    """A planned window ``days`` from now, ``hours`` long."""
    start = timezone.now().replace(microsecond=0) + timedelta(days=days)
    return {"planned_start": start, "planned_end": start + timedelta(hours=hours)}


def make_change(**overrides: Any) -> Change:
    """A normal change in state *new* (override any field, e.g. ``planned_start``)."""
    n = next(_seq)
    values: dict[str, Any] = {
        "title": f"Upgrade mail server {n}",
        "description": "Apply the vendor's security update.",
        "implementation_plan": "1. Drain the node.\n2. Upgrade.\n3. Return it to the pool.",
        "backout_plan": "Reinstall the previous package.",
    }
    values.update(overrides)
    actor = values.pop("actor", None)
    if "requester" not in values and actor is None:
        values["requester"] = make_change_manager()
    values.pop("organisation", None)  # changes belong to no organisation
    affected = values.pop("affected_cis", [])
    change: Change = tickets.create_ticket(actor=actor, model=Change, **values)
    if affected:
        change.affected_cis.set(affected)
    return change
