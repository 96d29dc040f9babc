"""The change workflows are sound in every profile and follow the agreed states."""

from __future__ import annotations

import pytest

from steward.changes.models import Change
from steward.changes.tests.factories import make_change, window
from steward.changes.workflows import WORKFLOWS
from steward.core import workflow
from steward.core.workflow import Category


def test_every_profile_declares_a_sound_workflow() -> None:
    for profile, declared in WORKFLOWS.items():
        assert declared is not None, profile
        assert declared.problems() == [], profile


def test_full_profile_has_the_agreed_states_and_categories() -> None:
    full = WORKFLOWS["full"]
    assert full is not None
    assert [s.code for s in full.states] == [
        "new",
        "assessment",
        "approval",
        "scheduled",
        "implementing",
        "review",
        "closed",
        "cancelled",
    ]
    categories = {s.code: s.category for s in full.states}
    assert categories["closed"] == categories["cancelled"] == Category.CLOSED
    assert categories["review"] == Category.RESOLVED


def test_lite_and_core_use_fewer_states() -> None:
    full, lite, core = WORKFLOWS["full"], WORKFLOWS["lite"], WORKFLOWS["core"]
    assert full is not None and lite is not None and core is not None
    assert len(core.states) < len(lite.states) < len(full.states)
    assert [s.code for s in lite.states][:5] == [
        "new",
        "approval",
        "scheduled",
        "implementing",
        "closed",
    ]


@pytest.mark.django_db
def test_a_change_is_a_numbered_ticket_that_occupies_the_schedule_once_planned() -> None:
    change = make_change(**window())
    assert change.number.startswith("CHG")
    assert change.kind == "changes.change"
    assert change.state == "new"
    assert change.occupies_schedule
    assert Change.objects.occupying().filter(pk=change.pk).exists()
    assert workflow.registered_models().count("changes.change") == 1
