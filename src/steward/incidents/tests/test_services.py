"""Incident services: opening, routing, reassigning, escalating, holding, resolving, closing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from steward.accounts import services as accounts
from steward.accounts.tests.factories import make_agent, make_organisation, make_person, make_team
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry
from steward.incidents import hooks, services, tasks
from steward.incidents.models import Incident
from steward.incidents.tests.factories import (
    make_assigned_incident,
    make_assignment_rule,
    make_category,
    make_incident,
    make_subcategory,
)
from steward.tickets import services as tickets
from steward.tickets.tests.factories import make_assigned_ticket

pytestmark = pytest.mark.django_db

FRIDAY_5PM = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)


def actions(incident: Any) -> list[str]:
    return list(
        AuditEntry.objects.for_object(incident).order_by("id").values_list("action", flat=True)
    )


def resolved(incident: Incident, actor: object = None) -> Incident:
    if incident.state == "new":
        incident = services.transition_incident(
            actor=None, incident=incident, to="in_progress", values={"assignee": incident.assignee}
        )
    elif incident.state == "assigned":
        incident = services.transition_incident(actor=None, incident=incident, to="in_progress")
    return services.resolve_incident(
        actor=None, incident=incident, resolution_code="user_error", resolution="Explained."
    )


def resolved_at(incident: Incident, when: datetime) -> Incident:
    """Pretend the incident was resolved at ``when`` (with the window that gives)."""
    Incident.objects.filter(pk=incident.pk).update(
        resolved_at=when, auto_close_at=hooks.reopen_window_end(when)
    )
    return Incident.objects.get(pk=incident.pk)


# --- opening ---------------------------------------------------------------------------------


def test_open_incident_numbers_prioritises_and_audits() -> None:
    # given a category with a subcategory
    category = make_category()
    sub = make_subcategory(parent=category)
    requester = make_person()
    # when the requester opens an incident by phone
    incident = services.open_incident(
        actor=requester,
        title="Outlook crashes",
        category=category,
        subcategory=sub,
        contact_type="phone",
        impact=1,
        urgency=2,
    )
    # then it is a numbered incident with the matrix's priority, audited once
    assert incident.number.startswith("INC")
    assert incident.kind == "incidents.incident"
    assert incident.priority == 2
    assert (incident.category, incident.subcategory, incident.contact_type) == (
        category,
        sub,
        "phone",
    )
    assert incident.state == "new" and incident.team is None
    assert actions(incident) == ["incident.created"]


def test_the_subcategory_must_belong_to_the_category() -> None:
    other = make_subcategory()
    before = Incident.objects.count()
    with pytest.raises(RuleViolation) as refused:
        make_incident(category=make_category(), subcategory=other)
    assert "subcategory" in refused.value.message_dict
    with pytest.raises(RuleViolation):
        make_incident(category=other)  # a subcategory is not a category
    assert Incident.objects.count() == before


def test_categories_are_two_levels_deep() -> None:
    sub = make_subcategory()
    with pytest.raises(RuleViolation, match="2 levels"):
        make_category(parent=sub)
    assert [e for e in actions(sub)] == ["category.created"]


def test_an_agent_may_not_set_up_categories_or_rules() -> None:
    agent = make_agent()
    with pytest.raises(Forbidden):
        services.create_category(actor=agent, name="Hardware", code="hardware")
    with pytest.raises(Forbidden):
        services.create_assignment_rule(actor=agent, name="All", team=make_team())
    manager = make_person(roles=["incident_manager"])
    category = services.create_category(actor=manager, name="Hardware", code="hardware")
    rule = services.create_assignment_rule(actor=manager, name="All", team=make_team())
    assert category.pk and rule.pk


# --- automatic assignment ---------------------------------------------------------------------


def test_the_first_matching_rule_by_order_routes_the_incident() -> None:
    # given two rules that both match a phone call about hardware; the lower order wins
    hardware = make_category()
    by_phone = make_assignment_rule(order=20, contact_type="phone")
    by_category = make_assignment_rule(order=10, category=hardware)
    make_assignment_rule(order=5, contact_type="chat")  # matches nothing below
    # when incidents are opened
    both = make_incident(category=hardware, contact_type="phone")
    phone = make_incident(contact_type="phone")
    neither = make_incident(contact_type="email")
    # then each goes to its first matching rule's team, with a member, and is assigned
    assert both.team == by_category.team
    assert phone.team == by_phone.team
    assert both.assignee is not None and both.state == "assigned"
    assert neither.team is None and neither.state == "new"
    assert actions(both) == ["incident.created", "incident.transitioned", "incident.routed"]
    routed = AuditEntry.objects.for_object(both).get(action="incident.routed")
    assert routed.changes["rule"] == by_category.pk


def test_an_explicit_team_skips_the_rules() -> None:
    make_assignment_rule(order=1)
    incident, agent = make_assigned_incident()
    assert incident.assignee == agent
    assert "incident.routed" not in actions(incident)


def test_rules_match_subcategories_services_cis_and_organisation_subtrees() -> None:
    parent = make_organisation()
    child = make_organisation(parent=parent)
    sub = make_subcategory()
    by_org = make_assignment_rule(order=1, organisation=parent)
    by_sub = make_assignment_rule(order=0, category=sub)
    assert make_incident(organisation=child).team == by_org.team
    assert make_incident(organisation=make_organisation()).team is None
    assert make_incident(category=sub.parent, subcategory=sub).team == by_sub.team


def test_round_robin_takes_turns_among_available_members() -> None:
    # given a team of three, one of whom is away
    a, b, away = make_agent(), make_agent(), make_agent()
    accounts.update_person(actor=None, person=away, is_away=True)
    team = make_team(members=[a, b, away])
    make_assignment_rule(team=team, method="round_robin")
    # when four incidents come in
    assignees = [make_incident().assignee for _ in range(4)]
    # then the two available members take turns, in id order
    first, second = sorted([a, b], key=lambda p: p.pk)
    assert assignees == [first, second, first, second]


def test_least_loaded_picks_the_member_with_the_fewest_open_tickets() -> None:
    busy, idle = make_agent(), make_agent()
    team = make_team(members=[busy, idle])
    make_assigned_ticket(assignee=busy, team=team)
    make_assigned_ticket(assignee=busy, team=team)
    done, _ = make_assigned_ticket(assignee=idle, team=team)
    tickets.transition_ticket(
        actor=None, ticket=done, to="cancelled", values={"resolution": "Not needed"}
    )
    make_assignment_rule(team=team, method="least_loaded")
    assert make_incident().assignee == idle  # 2 open against 0
    assert make_incident().assignee == idle  # 2 against 1
    assert make_incident().assignee == min([busy, idle], key=lambda p: p.pk)  # a tie


def test_nobody_available_leaves_the_incident_with_the_team() -> None:
    away = make_agent()
    accounts.update_person(actor=None, person=away, is_away=True)
    rule = make_assignment_rule(team=make_team(members=[away]))
    incident = make_incident()
    assert incident.team == rule.team and incident.assignee is None


# --- reassignment and escalation --------------------------------------------------------------


def test_manual_reassignment_is_counted_and_audited() -> None:
    incident, agent = make_assigned_incident()
    other = make_agent()
    team = make_team(members=[other])
    incident = services.reassign(actor=agent, incident=incident, team=team, assignee=other)
    assert (incident.team, incident.assignee, incident.reassignment_count) == (team, other, 1)
    entry = AuditEntry.objects.for_object(incident).filter(action="incident.reassigned").get()
    assert entry.changes["reassignment_count"] == [0, 1]
    # the same hands again is no reassignment
    again = services.reassign(actor=agent, incident=incident, team=team, assignee=other)
    assert again.reassignment_count == 1
    # the first assignment of an unrouted incident is not a reassignment
    fresh = services.reassign(actor=agent, incident=make_incident(), team=team, assignee=other)
    assert fresh.reassignment_count == 0


def test_reassignment_needs_the_right_to_change() -> None:
    incident, _ = make_assigned_incident()
    requester = incident.requester
    with pytest.raises(Forbidden):
        services.reassign(actor=requester, incident=incident, team=make_team())
    assert Incident.objects.get(pk=incident.pk).reassignment_count == 0


def test_escalation_climbs_the_support_lines() -> None:
    # given a 1st-line incident, a 2nd-line rule for its category and a plain 3rd-line team
    category = make_category()
    agent = make_agent()
    first = make_team(members=[agent], support_line=1)
    second_rule = make_assignment_rule(
        category=category, team=make_team(members=[make_agent()], support_line=2)
    )
    make_team(name="Zeta third", support_line=3)
    third = make_team(name="Alpha third", support_line=3)
    incident = make_incident(team=first, assignee=agent, category=category)
    # when it is escalated twice
    incident = services.escalate(actor=agent, incident=incident)
    assert incident.team == second_rule.team and incident.assignee is not None
    incident = services.escalate(actor=agent, incident=incident)
    # then it is with the 3rd line's first team, unassigned, and cannot go further
    assert incident.team == third and incident.assignee is None
    before = Incident.objects.get(pk=incident.pk).version
    with pytest.raises(RuleViolation, match="3rd line"):
        services.escalate(actor=agent, incident=incident)
    assert Incident.objects.get(pk=incident.pk).version == before
    lines = [
        e.changes["support_line"]
        for e in AuditEntry.objects.for_object(incident)
        .filter(action="incident.escalated")
        .order_by("id")
    ]
    assert lines == [[1, 2], [2, 3]]


def test_escalation_without_a_team_on_the_next_line_is_refused() -> None:
    incident, agent = make_assigned_incident()
    with pytest.raises(RuleViolation, match="2nd line"):
        services.escalate(actor=agent, incident=incident)


# --- holding and resolving --------------------------------------------------------------------


def test_putting_on_hold_needs_a_reason_and_resuming_clears_it() -> None:
    incident, agent = make_assigned_incident()
    incident = services.transition_incident(actor=agent, incident=incident, to="in_progress")
    with pytest.raises(RuleViolation) as missing:
        services.transition_incident(actor=agent, incident=incident, to="on_hold")
    assert "hold_reason" in missing.value.message_dict
    with pytest.raises(ValidationError):
        services.transition_incident(
            actor=agent, incident=incident, to="on_hold", values={"hold_reason": "lunch"}
        )
    held = services.transition_incident(
        actor=agent, incident=incident, to="on_hold", values={"hold_reason": "awaiting_vendor"}
    )
    assert (held.state, held.hold_reason) == ("on_hold", "awaiting_vendor")
    resumed = services.transition_incident(actor=agent, incident=held, to="in_progress")
    assert resumed.hold_reason == ""
    assert Incident.objects.get(pk=incident.pk).hold_reason == ""


def test_resolving_needs_a_code_and_notes() -> None:
    incident, agent = make_assigned_incident()
    incident = services.transition_incident(actor=agent, incident=incident, to="in_progress")
    with pytest.raises(RuleViolation) as missing:
        services.transition_incident(
            actor=agent, incident=incident, to="resolved", values={"resolution": "Fixed"}
        )
    assert list(missing.value.message_dict) == ["resolution_code"]
    with pytest.raises(RuleViolation) as missing:
        services.resolve_incident(
            actor=agent, incident=incident, resolution_code="duplicate", resolution=" "
        )
    assert list(missing.value.message_dict) == ["resolution"]
    done = services.resolve_incident(
        actor=agent, incident=incident, resolution_code="solved_permanently", resolution="Fixed."
    )
    assert done.state == "resolved" and done.resolution_code == "solved_permanently"
    assert done.resolved_at is not None
    assert done.auto_close_at == hooks.reopen_window_end(done.resolved_at)


# --- the reopening window and automatic closing ------------------------------------------------


def test_the_window_is_counted_in_business_days() -> None:
    # Friday 17:00 + 3 days of 08:00-18:00 = Wednesday 17:00
    assert hooks.reopen_window_end(FRIDAY_5PM) == datetime(2026, 11, 25, 17, tzinfo=UTC)


def test_auto_close_after_the_window_is_idempotent(settings: object) -> None:
    incident, _ = make_assigned_incident()
    incident = resolved_at(resolved(incident), FRIDAY_5PM)
    still_open = make_incident()
    # before the window ends, nothing closes
    assert tasks.close_resolved_incidents.call(now="2026-11-25T16:59:00+00:00") == 0
    # after it, the incident closes, as the task
    assert tasks.close_resolved_incidents.call(now="2026-11-25T17:00:00+00:00") == 1
    closed = Incident.objects.get(pk=incident.pk)
    assert closed.state == "closed" and closed.auto_close_at is None
    entry = AuditEntry.objects.for_object(closed).order_by("-id").first()
    assert entry is not None and entry.source == "task" and entry.actor is None
    # and running it again changes nothing
    assert tasks.close_resolved_incidents.call(now="2026-12-25T17:00:00+00:00") == 0
    assert Incident.objects.get(pk=still_open.pk).state == "new"


def test_a_requester_reply_within_the_window_reopens() -> None:
    incident, agent = make_assigned_incident()
    incident = resolved(incident)
    requester = incident.requester
    # an agent's reply does not reopen
    services.comment_on_incident(actor=agent, incident=incident, body="Glad it works.")
    assert Incident.objects.get(pk=incident.pk).state == "resolved"
    # the requester's does, counted
    services.comment_on_incident(actor=requester, incident=incident, body="It broke again.")
    reopened = Incident.objects.get(pk=incident.pk)
    assert (reopened.state, reopened.reopen_count) == ("in_progress", 1)
    assert reopened.resolved_at is None and reopened.auto_close_at is None
    entry = (
        AuditEntry.objects.for_object(reopened)
        .filter(action="incident.transitioned")
        .order_by("id")
        .last()
    )
    assert entry is not None and entry.actor == requester


def test_a_requester_reply_after_the_window_does_not_reopen() -> None:
    incident, _ = make_assigned_incident()
    incident = resolved_at(resolved(incident), datetime(2026, 1, 5, 9, tzinfo=UTC))
    services.comment_on_incident(actor=incident.requester, incident=incident, body="Again!")
    after = Incident.objects.get(pk=incident.pk)
    assert (after.state, after.reopen_count) == ("resolved", 0)
    assert after.comments.count() == 1
    with pytest.raises(RuleViolation, match="passed"):
        services.transition_incident(actor=incident.requester, incident=after, to="in_progress")


def test_only_the_requester_or_the_service_desk_reopens() -> None:
    incident, agent = make_assigned_incident(organisation=make_organisation())
    incident = resolved(incident)
    watcher = make_person(organisation=incident.organisation)
    tickets.add_watcher(actor=agent, ticket=incident, person=watcher)
    with pytest.raises(RuleViolation, match="Only the service desk"):
        services.transition_incident(actor=watcher, incident=incident, to="in_progress")
    again = services.transition_incident(actor=agent, incident=incident, to="in_progress")
    assert again.reopen_count == 1
