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
from steward.changes.services import open_change

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
    return open_change(actor=actor, **values)


def make_board(**overrides: Any) -> Any:
    """An approval board (a CAB asked on every path unless told otherwise)."""
    from steward.changes.services import approvals

    n = next(_seq)
    members = overrides.pop("members", None)
    if members is None:
        members = [make_person(roles=[RoleCode.CAB_MEMBER])]
    values: dict[str, Any] = {
        "name": f"Board {n}",
        "kind": "cab",
        "rule": "any",
        "paths": ["low", "moderate", "high", "emergency"],
    }
    values.update(overrides)
    return approvals.create_board(actor=None, members=members, **values)


def make_question(**overrides: Any) -> Any:
    """A risk question with a "no" (0 points) and a "yes" (``points``) answer."""
    from steward.changes.services import risk

    n = next(_seq)
    points = overrides.pop("points", 20)
    values: dict[str, Any] = {
        "text": f"Does it need downtime {n}?",
        "options": [("No", 0), ("Yes", points)],
    }
    values.update(overrides)
    return risk.save_question(actor=None, **values)


def make_template(**overrides: Any) -> Any:
    """An approved standard-change template with two tasks."""
    from steward.changes.services import templates

    n = next(_seq)
    approved = overrides.pop("approved", True)
    values: dict[str, Any] = {
        "name": f"Restart app server {n}",
        "title": "Restart the application server",
        "implementation_plan": "Restart the service.",
        "backout_plan": "Nothing to undo.",
        "tasks": [{"title": "Announce"}, {"title": "Restart", "description": "`systemctl`"}],
    }
    values.update(overrides)
    template = templates.create_template(actor=None, **values)
    if approved:
        template = templates.approve_template(actor=None, template=template)
    return template


def make_assessed(**overrides: Any) -> Change:
    """A normal change in assessment with its risk assessed (every answer "no": low)."""
    from steward.changes.services import risk, transition_change

    values = {**window(), **overrides}
    change = make_change(**values)
    change = transition_change(actor=None, change=change, to="assessment")
    from steward.changes.models import RiskQuestion

    answers = {
        q.pk: q.options.order_by("position").first().pk  # type: ignore[union-attr]
        for q in RiskQuestion.objects.filter(is_active=True)
    }
    change, _ = risk.assess_risk(actor=None, change=change, answers=answers)
    return change
