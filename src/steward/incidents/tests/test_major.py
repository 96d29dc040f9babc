"""Major incidents through their services: declaring, the communication log, children
resolved with their parent, and the post-incident review guarding the close."""

from __future__ import annotations

import pytest

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.incidents import services
from steward.incidents.models import Incident, MajorIncidentUpdate, PostIncidentReview
from steward.incidents.services import major
from steward.incidents.tests.factories import (
    make_assigned_incident,
    make_incident,
    make_incident_manager,
    make_major_incident,
)
from steward.tickets import services as tickets
from steward.tickets.models import Comment, Ticket, TicketLink
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def fresh(incident: Incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def test_an_incident_manager_declares_a_major_incident_with_top_priority_and_audit() -> None:
    # given an ordinary incident and an incident manager
    incident, _agent = make_assigned_incident(impact=3, urgency=3)
    manager = make_incident_manager()
    # when the manager declares it
    declared = major.declare_major(
        actor=manager, incident=incident, manager=manager, reason="All wards affected."
    )
    # then it is major, run by the manager, at the top of the priority matrix, and audited
    row = fresh(declared)
    assert row.is_major and row.major_manager == manager and row.major_declared_by == manager
    assert (row.impact, row.urgency, row.priority) == (1, 1, 1)
    entry = AuditEntry.objects.get(action="incident.major_declared", object_id=str(row.pk))
    assert entry.actor == manager and entry.changes["reason"] == "All wards affected."
    assert list(Incident.objects.major()) == [row]


def test_an_agent_may_not_declare_and_nothing_changes() -> None:
    incident, agent = make_assigned_incident()
    before = fresh(incident)
    with pytest.raises(Forbidden):
        major.declare_major(actor=agent, incident=incident, manager=agent, reason="Big.")
    after = fresh(incident)
    assert not after.is_major and after.version == before.version
    assert not AuditEntry.objects.filter(action="incident.major_declared").exists()


def test_declaring_needs_a_reason_a_staff_manager_and_an_open_incident() -> None:
    incident, _agent = make_assigned_incident()
    manager = make_incident_manager()
    with pytest.raises(RuleViolation) as caught:
        major.declare_major(actor=manager, incident=incident, manager=manager, reason=" ")
    assert "reason" in caught.value.message_dict
    with pytest.raises(RuleViolation) as caught:
        major.declare_major(actor=manager, incident=incident, manager=make_person(), reason="Big.")
    assert "manager" in caught.value.message_dict
    assert not fresh(incident).is_major


def test_standing_down_is_audited_and_needs_a_reason() -> None:
    incident, manager = make_major_incident()
    with pytest.raises(RuleViolation):
        major.stand_down_major(actor=manager, incident=incident, reason="")
    with pytest.raises(Forbidden):
        major.stand_down_major(actor=make_agent(), incident=incident, reason="Not so big.")
    major.stand_down_major(actor=manager, incident=incident, reason="Only one floor.")
    row = fresh(incident)
    assert not row.is_major and row.major_manager is None
    assert AuditEntry.objects.filter(
        action="incident.major_stood_down", object_id=str(row.pk)
    ).exists()


def test_the_communication_log_is_append_only() -> None:
    incident, manager = make_major_incident()
    update = major.post_update(
        actor=manager, incident=incident, audience="internal", body="Failover started."
    )
    update.body = "Rewritten history"
    with pytest.raises(RuleViolation):
        update.save()
    with pytest.raises(RuleViolation):
        update.delete()
    assert MajorIncidentUpdate.objects.get(pk=update.pk).body == "Failover started."


def test_customers_updates_reach_requesters_of_the_parent_and_its_open_children() -> None:
    # given a major incident with an open child and a resolved one
    incident, manager = make_major_incident()
    child, child_agent = make_assigned_incident()
    done, done_agent = make_assigned_incident()
    major.attach_children(actor=manager, parent=incident, children=[child, done])
    tickets.transition_ticket(actor=done_agent, ticket=done, to="in_progress")
    services.resolve_incident(
        actor=done_agent, incident=fresh(done), resolution_code="duplicate", resolution="Dup."
    )
    # when an internal and a customers update are posted
    major.post_update(actor=manager, incident=incident, audience="internal", body="DB is down.")
    major.post_update(
        actor=manager, incident=incident, audience="customers", body="We are restoring it."
    )
    # then the customers update is a public reply on the parent and the open child only
    public = Comment.objects.filter(is_public=True, body="We are restoring it.")
    assert set(public.values_list("ticket_id", flat=True)) == {incident.pk, child.pk}
    assert not Comment.objects.filter(body="DB is down.").exists()
    # and the requester sees only the customers update in the log
    requester = incident.requester
    visible = MajorIncidentUpdate.objects.visible_to(requester)
    assert [u.audience for u in visible] == ["customers"]
    assert MajorIncidentUpdate.objects.visible_to(make_person()).count() == 0


def test_updates_only_on_major_incidents_and_with_a_body() -> None:
    incident, agent = make_assigned_incident()
    with pytest.raises(RuleViolation):
        major.post_update(actor=agent, incident=incident, audience="internal", body="x")
    declared, manager = make_major_incident()
    with pytest.raises(RuleViolation):
        major.post_update(actor=manager, incident=declared, audience="internal", body=" ")
    with pytest.raises(RuleViolation):
        major.post_update(actor=manager, incident=declared, audience="press", body="x")
    with pytest.raises(RuleViolation):
        major.post_update(
            actor=manager, incident=declared, audience="internal", body="<script>x</script>"
        )
    assert MajorIncidentUpdate.objects.count() == 0


def test_bulk_attach_refuses_bad_children_and_attaches_none() -> None:
    parent, manager = make_major_incident()
    good = make_incident()
    closed, closed_agent = make_assigned_incident()
    tickets.transition_ticket(
        actor=closed_agent,
        ticket=closed,
        to="cancelled",
        values={"resolution": "Opened by mistake."},
    )
    adopted = make_incident()
    other_parent = make_incident()
    major.attach_children(actor=manager, parent=other_parent, children=[adopted])
    grandparent = make_incident()
    major.attach_children(actor=manager, parent=grandparent, children=[parent])
    # when bad children come with a good one
    with pytest.raises(RuleViolation) as caught:
        major.attach_children(
            actor=manager,
            parent=parent,
            children=[good, fresh(closed), parent, adopted, grandparent],
        )
    # then every reason is listed and not even the good one is attached
    problems = caught.value.message_dict["children"]
    assert len(problems) == 4
    assert any("no longer open" in p for p in problems)
    assert any("its own child" in p for p in problems)
    assert any("another parent" in p for p in problems)
    assert any("already above" in p for p in problems)
    assert not TicketLink.objects.filter(source=parent, target=good).exists()
    # and the good one alone attaches, audited on both
    major.attach_children(actor=manager, parent=parent, children=[good])
    assert TicketLink.objects.filter(source=parent, target=good, link_type="parent_of").exists()
    assert AuditEntry.objects.filter(action="incident.children_attached").count() == 3


def test_resolving_the_parent_resolves_open_children_each_audited() -> None:
    # given a major incident with children in several states
    parent, manager = make_major_incident()
    assigned = make_incident(team=parent.team)  # routed: assigned
    new = make_incident()  # no team: new
    held, held_agent = make_assigned_incident()
    tickets.transition_ticket(actor=held_agent, ticket=held, to="in_progress")
    tickets.transition_ticket(
        actor=held_agent, ticket=held, to="on_hold", values={"hold_reason": "awaiting_vendor"}
    )
    cancelled, cancelled_agent = make_assigned_incident()
    major.attach_children(
        actor=manager, parent=parent, children=[assigned, new, fresh(held), cancelled]
    )
    tickets.transition_ticket(
        actor=cancelled_agent, ticket=cancelled, to="cancelled", values={"resolution": "Dup."}
    )
    # when the parent is resolved
    agent = parent.assignee
    tickets.transition_ticket(actor=agent, ticket=parent, to="in_progress")
    services.resolve_incident(
        actor=agent,
        incident=fresh(parent),
        resolution_code="solved_workaround",
        resolution="Failed over to the standby database.",
    )
    # then every open child is resolved with the parent's code and notes, each audited
    for child in (assigned, new, held):
        row = fresh(child)
        assert (row.state, row.resolution_code) == ("resolved", "solved_workaround")
        assert row.resolution == "Failed over to the standby database."
        assert row.hold_reason == ""
        entry = AuditEntry.objects.get(
            action="incident.resolved_with_parent", object_id=str(row.pk)
        )
        assert entry.actor == agent and entry.changes["parent"] == parent.number
    # and the cancelled one stays as it was
    assert fresh(cancelled).state == "cancelled"
    assert not AuditEntry.objects.filter(
        action="incident.resolved_with_parent", object_id=str(cancelled.pk)
    ).exists()


def test_an_open_child_ticket_of_another_kind_still_blocks_the_parent() -> None:
    parent, agent = make_assigned_incident()
    task = make_ticket(team=parent.team)
    tickets.link_tickets(actor=agent, source=parent, target=task, link_type="parent_of")
    tickets.transition_ticket(actor=agent, ticket=parent, to="in_progress")
    with pytest.raises(RuleViolation) as caught:
        services.resolve_incident(
            actor=agent, incident=fresh(parent), resolution_code="duplicate", resolution="x"
        )
    assert task.number in str(caught.value)
    assert fresh(parent).state == "in_progress"
    assert Ticket.objects.get(pk=task.pk).is_open


def test_resolve_with_parent_is_refused_by_hand() -> None:
    incident = make_incident()  # new
    with pytest.raises(RuleViolation):
        tickets.transition_ticket(
            actor=None,
            ticket=incident,
            to="resolved",
            values={"resolution_code": "duplicate", "resolution": "x"},
        )
    assert fresh(incident).state == "new"


def _resolved_major() -> tuple[Incident, Person]:
    parent, manager = make_major_incident()
    agent = parent.assignee
    tickets.transition_ticket(actor=agent, ticket=parent, to="in_progress")
    services.resolve_incident(
        actor=agent, incident=fresh(parent), resolution_code="duplicate", resolution="Fixed."
    )
    return fresh(parent), manager


def test_a_major_incident_closes_only_after_its_review_is_completed() -> None:
    parent, manager = _resolved_major()
    with pytest.raises(RuleViolation) as caught:
        tickets.transition_ticket(actor=manager, ticket=parent, to="closed")
    assert "post-incident review" in str(caught.value)
    review = major.start_review(actor=manager, incident=parent, summary="DB failover failed.")
    major.add_review_action(actor=manager, review=review, description="Test failover monthly")
    major.move_review(actor=manager, review=review, to="in_review")
    with pytest.raises(RuleViolation) as caught:
        major.move_review(actor=manager, review=review, to="completed")
    assert set(caught.value.message_dict) == {"root_cause", "lessons"}
    major.move_review(actor=manager, review=review, to="draft")
    major.update_review(
        actor=manager, review=review, root_cause="Stale replica.", lessons="Rehearse."
    )
    major.move_review(actor=manager, review=review, to="in_review")
    major.move_review(actor=manager, review=review, to="completed")
    with pytest.raises(RuleViolation):
        major.update_review(actor=manager, review=review, lessons="Changed afterwards")
    closed = tickets.transition_ticket(actor=manager, ticket=parent, to="closed")
    assert closed.state == "closed"
    actions = [
        e.action for e in AuditEntry.objects.filter(object_type="incidents.postincidentreview")
    ]
    assert actions.count("post_incident_review.moved") == 4


def test_review_rules() -> None:
    incident, agent = make_assigned_incident()
    with pytest.raises(RuleViolation):
        major.start_review(actor=agent, incident=incident)  # not major
    parent, manager = make_major_incident()
    review = major.start_review(actor=manager, incident=parent)
    with pytest.raises(RuleViolation):
        major.start_review(actor=manager, incident=parent)
    with pytest.raises(RuleViolation):
        major.move_review(actor=manager, review=review, to="completed")
    owner = make_agent()
    action = major.add_review_action(
        actor=manager, review=review, description="Fix monitoring", owner=owner
    )
    # the owner marks their action done; a requester may not
    done = major.update_review_action(actor=owner, action=action, is_done=True)
    assert done.is_done and done.done_at is not None
    with pytest.raises(NotFound):
        major.update_review_action(actor=make_person(), action=action, is_done=False)
    assert PostIncidentReview.objects.visible_to(parent.requester).count() == 0


def test_the_demo_has_a_major_incident_with_children_updates_and_contacts() -> None:
    from steward.accounts.demo import load_demo
    from steward.incidents import demo
    from steward.incidents.models import Interaction
    from steward.tickets import demo as tickets_demo

    load_demo(password="demo password 123")
    tickets_demo.load()
    summary = demo.load()
    parent = Incident.objects.get(is_major=True)
    assert summary.startswith(f"Demo major incident {parent.number}")
    assert TicketLink.objects.filter(source=parent, link_type="parent_of").count() == 2
    assert MajorIncidentUpdate.objects.filter(incident=parent).count() == 2
    assert set(Interaction.objects.values_list("outcome", flat=True)) == {
        "resolved",
        "linked",
        "abandoned",
    }
    assert demo.load() == "Demo major incident already present."
