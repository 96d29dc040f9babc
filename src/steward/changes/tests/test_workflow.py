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


@pytest.mark.django_db
def test_lite_goes_new_approval_scheduled_implementing_closed() -> None:
    from steward.changes import services
    from steward.changes.tests.factories import make_board
    from steward.core import profiles

    make_board(name="CAB")
    profiles.set_profile(actor=None, profile="lite")
    from steward.changes.services import risk

    change = make_change(**window())
    change, _ = risk.assess_risk(actor=None, change=change, answers={})
    change = services.transition_change(actor=None, change=change, to="approval")
    request = change.approvals.get()
    from steward.changes.services import approvals

    approvals.vote(actor=request.approvers.get(), request=request, decision="approve")
    change = Change.objects.get(pk=change.pk)
    assert change.state == "scheduled"
    change = services.transition_change(actor=None, change=change, to="implementing")
    closed = services.transition_change(
        actor=None, change=change, to="closed", values={"outcome": "successful"}
    )
    assert closed.state == "closed" and closed.actual_end is not None


@pytest.mark.django_db
def test_switching_profile_moves_changes_into_its_states() -> None:
    from steward.changes import services
    from steward.core import profiles

    change = make_change()
    services.transition_change(actor=None, change=change, to="assessment")
    profiles.set_profile(actor=None, profile="core")
    assert Change.objects.get(pk=change.pk).state == "new"


@pytest.mark.django_db
def test_the_demo_has_changes_boards_a_template_and_a_meeting() -> None:
    from steward.accounts.demo import load_demo
    from steward.changes.models import CabMeeting
    from steward.core import demo

    load_demo()
    demo.load_all()
    states = dict(Change.objects.values_list("change_type", "state"))
    assert states == {"standard": "scheduled", "normal": "approval", "emergency": "review"}
    assert CabMeeting.objects.get().agenda.count() == 1
    assert "Demo changes already present." in demo.load_all()
