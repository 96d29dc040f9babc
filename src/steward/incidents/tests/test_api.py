"""The incident API endpoints through the shared permission harness, plus their actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person, make_team
from steward.core.models import AuditEntry
from steward.core.testing import ApiResourceTests, assert_problem
from steward.incidents import services
from steward.incidents.models import AssignmentRule, Category, Incident
from steward.incidents.tests.factories import (
    make_assigned_incident,
    make_assignment_rule,
    make_category,
    make_incident,
)


def client_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def make_incident_manager(**overrides: Any) -> Person:
    return make_person(roles=["incident_manager"], **overrides)


class TestIncidentApi(ApiResourceTests):
    basename = "incident"
    filter_cases = [
        ({"contact_type": "phone"}, lambda i: i.contact_type == "phone"),
        ({"resolution_code": "duplicate"}, lambda i: i.resolution_code == "duplicate"),
        ({"is_open": "false"}, lambda i: not i.is_open),
        ({"reopened": "true"}, lambda i: i.reopen_count > 0),
    ]

    def make_object(self, organisation: Any) -> Incident:
        n = Incident.objects.count()
        incident, agent = make_assigned_incident(
            organisation=organisation,
            contact_type="phone" if n % 2 else "email",
            category=make_category(),
        )
        if n % 3 == 1:
            incident = services.transition_incident(
                actor=agent, incident=incident, to="in_progress"
            )
            incident = services.resolve_incident(
                actor=agent, incident=incident, resolution_code="duplicate", resolution="Dup."
            )
        if n % 3 == 2:
            incident = services.transition_incident(
                actor=agent, incident=incident, to="in_progress"
            )
            incident = services.resolve_incident(
                actor=agent, incident=incident, resolution_code="user_error", resolution="Ok."
            )
            incident = services.transition_incident(
                actor=agent, incident=incident, to="in_progress"
            )
        return incident

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        requester = make_person(organisation=organisation)
        return {
            "title": "Cannot log in",
            "requester": requester.pk,
            "impact": 2,
            "urgency": 1,
            "contact_type": "phone",
            "category": make_category().pk,
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"title": f"Edited {AuditEntry.objects.count()}", "contact_type": "chat"}


class TestCategoryApi(ApiResourceTests):
    basename = "incident-category"
    organisation_scoped = False
    filter_cases = [({"is_root": "true"}, lambda c: c.parent_id is None)]

    def make_object(self, organisation: Any) -> Category:
        n = Category.objects.count()
        parent = Category.objects.filter(parent=None).first() if n % 2 else None
        return make_category(parent=parent)

    def allowed_user(self, organisation: Any) -> Person:
        return make_incident_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"name": "Network", "code": f"network-{Category.objects.count()}"}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": f"Edited {AuditEntry.objects.count()}"}


class TestAssignmentRuleApi(ApiResourceTests):
    basename = "assignment-rule"
    organisation_scoped = False
    filter_cases = [({"method": "least_loaded"}, lambda r: r.method == "least_loaded")]

    def make_object(self, organisation: Any) -> AssignmentRule:
        n = AssignmentRule.objects.count()
        return make_assignment_rule(method="least_loaded" if n % 2 else "round_robin")

    def allowed_user(self, organisation: Any) -> Person:
        return make_incident_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"name": "Phones", "team": make_team().pk, "contact_type": "phone", "order": 3}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"order": AuditEntry.objects.count()}


# --- specifics -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_agents_read_but_do_not_set_up_rules_or_categories() -> None:
    rule = make_assignment_rule()
    client = client_for(make_agent())
    assert client.get(reverse("assignment-rule-detail", args=[rule.pk])).status_code == 200
    assert_problem(
        client.post(reverse("assignment-rule-list"), {"name": "x", "team": rule.team_id}), 403
    )
    assert_problem(client.post(reverse("incident-category-list"), {"name": "x", "code": "x"}), 403)
    patched = client.patch(
        reverse("assignment-rule-detail", args=[rule.pk]), {"order": 1}, format="json"
    )
    assert_problem(patched, 403)
    assert AssignmentRule.objects.get(pk=rule.pk).order == rule.order


@pytest.mark.django_db
def test_incidents_move_through_the_ticket_transition_endpoint() -> None:
    # given an incident, worked through the generic ticket endpoint
    incident, agent = make_assigned_incident()
    client = client_for(agent)
    url = reverse("ticket-transition", args=[incident.pk])
    assert client.post(url, {"to": "in_progress"}, format="json").status_code == 200
    # then the incident's workflow applies: a hold reason and a resolution code are required
    body = assert_problem(client.post(url, {"to": "on_hold"}, format="json"), 400)
    assert body["errors"][0]["field"] == "hold_reason"
    held = client.post(
        url, {"to": "on_hold", "values": {"hold_reason": "awaiting_caller"}}, format="json"
    )
    assert held.status_code == 200, held.content
    assert Incident.objects.get(pk=incident.pk).hold_reason == "awaiting_caller"
    client.post(url, {"to": "in_progress"}, format="json")
    body = assert_problem(
        client.post(url, {"to": "resolved", "values": {"resolution": "Done"}}, format="json"), 400
    )
    assert body["errors"][0]["field"] == "resolution_code"
    allowed = client.get(reverse("ticket-transitions", args=[incident.pk])).json()
    resolve = next(row for row in allowed if row["to"] == "resolved")
    assert resolve["requires"] == ["resolution_code", "resolution"]


@pytest.mark.django_db
def test_reassign_and_escalate_actions() -> None:
    incident, agent = make_assigned_incident()
    other = make_agent()
    team = make_team(members=[other])
    client = client_for(agent)
    moved = client.post(
        reverse("incident-reassign", args=[incident.pk]),
        {"team": team.pk, "assignee": other.pk, "version": incident.version},
        format="json",
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["reassignment_count"] == 1
    stale = client.post(
        reverse("incident-reassign", args=[incident.pk]),
        {"team": team.pk, "version": incident.version},
        format="json",
    )
    assert_problem(stale, 412)
    second = make_team(support_line=2)
    escalated = client.post(reverse("incident-escalate", args=[incident.pk]), {}, format="json")
    assert escalated.status_code == 200, escalated.content
    assert escalated.json()["team"] == second.pk
    requester = client_for(incident.requester)
    assert_problem(
        requester.post(reverse("incident-escalate", args=[incident.pk]), {}, format="json"), 403
    )


@pytest.mark.django_db
def test_a_requester_opens_an_incident_and_it_is_routed() -> None:
    rule = make_assignment_rule(contact_type="portal")
    requester = make_person()
    client = client_for(requester)
    created = client.post(reverse("incident-list"), {"title": "No Wi-Fi"}, format="json")
    assert created.status_code == 201, created.content
    incident = Incident.objects.get(pk=created.json()["id"])
    assert incident.requester == requester and incident.team == rule.team
    routed = client.post(
        reverse("incident-list"), {"title": "Route", "team": make_team().pk}, format="json"
    )
    assert_problem(routed, 403)
    assert make_incident().kind == "incidents.incident"


@pytest.mark.django_db
def test_team_changes_go_through_reassign() -> None:
    incident, agent = make_assigned_incident()
    client = client_for(agent)
    url = reverse("incident-detail", args=[incident.pk])
    refused = client.patch(url, {"team": make_team().pk}, format="json")
    assert_problem(refused, 400)
    assert Incident.objects.get(pk=incident.pk).team == incident.team


@pytest.mark.django_db
def test_incidents_are_searchable_and_filter_by_category() -> None:
    category = make_category()
    vpn = make_incident(title="VPN tunnel drops", category=category)
    make_incident(title="Printer jammed")
    client = client_for(make_agent())
    found = client.get(reverse("incident-list"), {"q": "VPN"})
    assert found.status_code == 200, found.content
    assert [row["id"] for row in found.json()["results"]] == [vpn.pk]
    by_category = client.get(reverse("incident-list"), {"category": category.pk}).json()
    assert [row["id"] for row in by_category["results"]] == [vpn.pk]


@pytest.mark.django_db
def test_changing_an_incidents_team_through_the_generic_ticket_endpoint_is_a_reassignment() -> None:
    # given an incident assigned to an agent of team A, and a team B
    incident, agent = make_assigned_incident()
    other_team = make_team()
    client = client_for(agent)
    # when the agent moves it to team B with PATCH /api/v1/tickets/{id}/ (not the incident API)
    answer = client.patch(
        reverse("ticket-detail", args=[incident.pk]), {"team": other_team.pk}, format="json"
    )
    # then it is counted and audited as the incident API's reassignment would be
    assert answer.status_code == 200, answer.content
    incident.refresh_from_db()
    assert (incident.team_id, incident.assignee_id) == (other_team.pk, None)
    assert incident.reassignment_count == 1
    assert AuditEntry.objects.filter(
        action="incident.reassigned", object_id=str(incident.pk)
    ).exists()
    # and an edit of other fields there goes through the incident's own rules too
    answer = client.patch(
        reverse("ticket-detail", args=[incident.pk]), {"title": "Renamed"}, format="json"
    )
    assert answer.status_code == 200
    incident.refresh_from_db()
    assert (incident.title, incident.reassignment_count) == ("Renamed", 1)
