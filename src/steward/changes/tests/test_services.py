"""Change services: raising, editing and revising, the standard path, review and closing."""

from __future__ import annotations

import pytest

from steward.accounts.tests.factories import make_agent, make_person
from steward.changes import services
from steward.changes.models import Change, ChangeTask
from steward.changes.services import tasks
from steward.changes.tests.factories import (
    make_assessed,
    make_board,
    make_change,
    make_change_manager,
    make_template,
    window,
)
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_an_agent_raises_a_change_a_requester_may_not() -> None:
    agent = make_agent()
    change = services.open_change(actor=agent, title="Patch the firewall", **window())
    assert change.requester == agent and change.state == "new"
    assert AuditEntry.objects.filter(action="change.created", object_id=str(change.pk)).exists()
    requester = make_person()
    with pytest.raises(Forbidden):
        services.open_change(actor=requester, title="Let me change things")
    assert Change.objects.count() == 1
    assert not Change.objects.visible_to(requester).exists()


def test_bad_input_is_refused_and_changes_nothing() -> None:
    agent = make_agent()
    start = window()["planned_start"]
    with pytest.raises(RuleViolation) as caught:
        services.open_change(actor=agent, title="x", planned_start=start, planned_end=start)
    assert "planned_end" in caught.value.message_dict
    with pytest.raises(RuleViolation):
        services.open_change(actor=agent, title="x", change_type="standard")
    with pytest.raises(RuleViolation):
        services.open_change(actor=agent, title="x", backout_plan="<script>alert(1)</script>")
    assert not Change.objects.exists()


def test_editing_the_plan_bumps_the_revision_and_asks_the_boards_again() -> None:
    make_board(name="CAB")
    change = make_assessed()
    change = services.transition_change(actor=None, change=change, to="approval")
    first = list(change.approvals.values_list("revision", "state"))
    assert first == [(1, "pending")]
    manager = make_change_manager()
    change = services.update_change(actor=manager, change=change, backout_plan="Roll back v2.")
    assert change.plan_revision == 2
    assert sorted(change.approvals.values_list("revision", "state")) == [
        (1, "withdrawn"),
        (2, "pending"),
    ]
    assert AuditEntry.objects.filter(action="change.plan_revised").count() == 1
    # A title is not the plan: no new revision.
    change = services.update_change(actor=manager, change=change, title="Upgrade mail (v2)")
    assert change.plan_revision == 2


def test_a_scheduled_plan_is_locked_until_the_change_is_revised() -> None:
    make_board(name="CAB")
    change = make_assessed()
    change = services.transition_change(actor=None, change=change, to="approval")
    request = change.approvals.get()
    from steward.changes.services import approvals

    approvals.vote(actor=request.approvers.get(), request=request, decision="approve")
    change = Change.objects.get(pk=change.pk)
    assert change.state == "scheduled"
    with pytest.raises(RuleViolation):
        services.update_change(actor=None, change=change, implementation_plan="Something else")
    assert Change.objects.get(pk=change.pk).plan_revision == 1
    change = services.transition_change(actor=None, change=change, to="assessment")
    change = services.update_change(actor=None, change=change, implementation_plan="Other")
    assert change.plan_revision == 2


def test_a_standard_change_from_an_approved_template_is_scheduled_with_its_tasks() -> None:
    template = make_template()
    agent = make_agent()
    change = services.open_standard_change(actor=agent, template=template, **window())
    assert change.state == "scheduled" and change.change_type == "standard"
    assert change.title == "Restart the application server"
    assert list(change.tasks.values_list("title", flat=True)) == ["Announce", "Restart"]
    assert not change.approvals.exists()


def test_an_unapproved_template_cannot_be_used() -> None:
    template = make_template(approved=False)
    with pytest.raises(RuleViolation):
        services.open_standard_change(actor=make_agent(), template=template, **window())
    assert not Change.objects.exists()


def test_editing_a_template_withdraws_its_approval_and_only_managers_approve() -> None:
    from steward.changes.services import templates

    template = make_template()
    manager = make_change_manager()
    template = templates.update_template(actor=manager, template=template, backout_plan="Undo")
    assert not template.is_approved
    with pytest.raises(Forbidden):
        templates.approve_template(actor=make_agent(), template=template)
    template = templates.approve_template(actor=manager, template=template)
    assert template.is_approved and template.approved_by == manager


def test_closing_needs_tasks_finished_and_a_review() -> None:
    template = make_template()
    change = services.open_standard_change(
        actor=None, template=template, requester=make_change_manager(), **window()
    )
    change = services.transition_change(actor=None, change=change, to="implementing")
    assert change.actual_start is not None
    with pytest.raises(RuleViolation) as caught:
        services.transition_change(
            actor=None, change=change, to="closed", values={"outcome": "successful"}
        )
    assert "Finish or skip its tasks first: Announce, Restart" in str(caught.value)
    for task in ChangeTask.objects.filter(change=change):
        tasks.set_task_state(
            actor=None, task=task, state="done" if task.position == 1 else "skipped"
        )
    closed = services.transition_change(
        actor=None, change=change, to="closed", values={"outcome": "successful"}
    )
    assert closed.state == "closed" and closed.outcome == "successful"
    assert closed.actual_end is not None


def test_an_emergency_change_skips_assessment_and_needs_its_retrospective() -> None:
    make_board(name="ECAB", kind="ecab", paths=["emergency"])
    change = make_change(change_type="emergency", **window())
    change = services.transition_change(actor=None, change=change, to="approval")
    request = change.approvals.get()
    assert request.board.name == "ECAB"
    from steward.changes.services import approvals

    approvals.vote(actor=request.approvers.get(), request=request, decision="approve")
    change = Change.objects.get(pk=change.pk)
    change = services.transition_change(actor=None, change=change, to="implementing")
    change = services.transition_change(actor=None, change=change, to="review")
    change = services.record_review(actor=None, change=change, outcome="successful")
    with pytest.raises(RuleViolation) as caught:
        services.transition_change(actor=None, change=change, to="closed")
    assert "retrospective" in str(caught.value)
    change = services.record_review(
        actor=None, change=change, outcome="successful", review_notes="Went fine; alerting late."
    )
    assert services.transition_change(actor=None, change=change, to="closed").state == "closed"


def test_a_normal_change_cannot_skip_assessment() -> None:
    change = make_change(**window())
    with pytest.raises(RuleViolation):
        services.transition_change(actor=None, change=change, to="approval")
    assert Change.objects.get(pk=change.pk).state == "new"


def test_approval_needs_the_risk_assessed_and_the_plans() -> None:
    change = make_change(backout_plan="", **window())
    change = services.transition_change(actor=None, change=change, to="assessment")
    with pytest.raises(RuleViolation) as caught:
        services.transition_change(actor=None, change=change, to="approval")
    assert "back-out plan" in str(caught.value)


def test_tasks_are_ordered_and_audited() -> None:
    change = make_change()
    first = tasks.add_task(actor=None, change=change, title="One")
    second = tasks.add_task(actor=None, change=change, title="Two")
    tasks.update_task(actor=None, task=second, position=1)
    assert list(change.tasks.values_list("title", flat=True)) == ["Two", "One"]
    assert ChangeTask.objects.get(pk=first.pk).position == 2
    with pytest.raises(RuleViolation):
        tasks.update_task(actor=None, task=first, state="nonsense")
    assert AuditEntry.objects.filter(action__startswith="change_task.").count() == 3
