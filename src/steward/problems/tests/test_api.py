"""The problem API through the shared permission harness, plus its actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts import services as accounts
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.core.testing import ApiResourceTests, assert_problem
from steward.incidents import services as incidents
from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_assigned_incident, make_incident
from steward.problems import services
from steward.problems.models import Problem
from steward.problems.tests.factories import (
    make_fixing,
    make_known_error,
    make_problem,
    make_problem_manager,
)
from steward.tickets.models import Comment, TicketLink


def client_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def action(problem: Problem, name: str) -> str:
    return reverse(f"problem-{name}", args=[problem.pk])


class TestProblemApi(ApiResourceTests):
    basename = "problem"
    organisation_scoped = False  # problems belong to no organisation
    filter_cases = [
        ({"is_known_error": "true"}, lambda p: p.known_error_at is not None),
        ({"problem_state": "new"}, lambda p: p.state == "new"),
        ({"has_fix": "true"}, lambda p: bool(p.fix_reference)),
        ({"rca_method": "five_whys"}, lambda p: p.rca_method == "five_whys"),
    ]

    def make_object(self, organisation: Any) -> Problem:
        n = Problem.objects.count()
        return (make_problem, make_known_error, make_fixing)[n % 3]()

    def allowed_user(self, organisation: Any) -> Person:
        return make_problem_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"title": "VPN drops hourly", "impact": 2, "urgency": 1, "workaround": "Reconnect."}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"title": f"{obj.title} (checked)"}


@pytest.mark.django_db
def test_agents_read_problems_but_do_not_write_them() -> None:
    problem, agent = make_problem(), make_agent()
    client = client_for(agent)
    assert client.get(reverse("problem-detail", args=[problem.pk])).status_code == 200
    assert_problem(client.post(reverse("problem-list"), {"title": "x"}, format="json"), 403)
    patched = client.patch(
        reverse("problem-detail", args=[problem.pk]), {"title": "x"}, format="json"
    )
    assert_problem(patched, 403)
    assert Problem.objects.get(pk=problem.pk).title == problem.title


@pytest.mark.django_db
def test_a_problem_cannot_be_given_an_organisation_or_a_requester_without_the_right() -> None:
    manager = make_problem_manager()
    client = client_for(manager)
    refused = client.post(
        reverse("problem-list"),
        {"title": "x", "organisation": make_organisation().pk},
        format="json",
    )
    body = assert_problem(refused, 400)
    assert body["errors"][0]["field"] == "organisation"
    assert not Problem.objects.exists()


@pytest.mark.django_db
def test_the_analysis_action_checks_the_methods_fields() -> None:
    manager, problem = make_problem_manager(), make_problem()
    client = client_for(manager)
    bad = client.post(
        action(problem, "analysis"),
        {"method": "kepner_tregoe", "analysis": {"what": {"is": "Resets"}}},
        format="json",
    )
    body = assert_problem(bad, 400)
    assert "Most probable cause" in str(body["errors"])
    assert Problem.objects.get(pk=problem.pk).rca_method == ""
    good = client.post(
        action(problem, "analysis"),
        {
            "method": "kepner_tregoe",
            "analysis": {"what": {"is": "Resets"}, "most_probable_cause": "Key lifetime"},
            "root_cause": "Keys expire after an hour.",
            "workaround": "Reconnect.",
        },
        format="json",
    )
    assert good.status_code == 200, good.content
    assert good.json()["rca_data"]["most_probable_cause"] == "Key lifetime"
    assert_problem(
        client_for(make_agent()).post(
            action(problem, "analysis"), {"method": "five_whys", "analysis": {}}, format="json"
        ),
        403,
    )


@pytest.mark.django_db
def test_the_known_error_transition_is_guarded_through_the_ticket_api() -> None:
    manager, problem = make_problem_manager(), make_problem()
    services.transition_problem(actor=manager, problem=problem, to="assessed")
    url = reverse("ticket-transition", args=[problem.pk])
    body = assert_problem(client_for(manager).post(url, {"to": "known_error"}, format="json"), 400)
    assert "root cause" in str(body)
    assert Problem.objects.get(pk=problem.pk).state == "assessed"


@pytest.mark.django_db
def test_agents_link_incidents_in_bulk_and_unseen_ones_are_404() -> None:
    mine, theirs = make_organisation(), make_organisation()
    agent = make_agent(organisation=mine)
    accounts.update_person(actor=None, person=agent, serves_organisations=[mine])
    problem = make_problem()
    # a restricted agent does not see problems (they belong to no organisation)
    client = client_for(agent)
    assert_problem(
        client.post(action(problem, "link-incidents"), {"incidents": [1]}, format="json"), 404
    )
    agent = make_agent()
    client = client_for(agent)
    first, second = make_incident(), make_incident()
    done = client.post(
        action(problem, "link-incidents"), {"incidents": [first.pk, second.pk]}, format="json"
    )
    assert done.status_code == 200 and done.json() == {"linked": 2}
    listed = client.get(action(problem, "incidents"))
    assert [row["number"] for row in listed.json()] == [first.number, second.number]
    unseen = client.post(
        action(problem, "link-incidents"), {"incidents": [first.pk, 999_999]}, format="json"
    )
    assert_problem(unseen, 404)
    del theirs
    removed = client.post(
        action(problem, "unlink-incidents"), {"incidents": [first.pk]}, format="json"
    )
    assert removed.json() == {"unlinked": 1}
    assert TicketLink.objects.count() == 1
    assert_problem(
        client.post(action(problem, "link-incidents"), {"incidents": []}, format="json"), 400
    )


@pytest.mark.django_db
def test_a_requester_cannot_reach_a_problem_or_link_to_it() -> None:
    requester = make_person()
    incident = make_incident(requester=requester)
    problem = make_known_error()
    client = client_for(requester)
    assert client.get(reverse("problem-list")).json()["results"] == []
    assert_problem(client.get(reverse("problem-detail", args=[problem.pk])), 404)
    assert_problem(client.get(reverse("ticket-detail", args=[problem.pk])), 404)
    linked = client.post(
        action(problem, "link-incidents"), {"incidents": [incident.pk]}, format="json"
    )
    assert_problem(linked, 404)
    assert not TicketLink.objects.exists()


@pytest.mark.django_db
def test_apply_workaround_and_resolve_the_linked_incidents() -> None:
    manager, problem = make_problem_manager(), make_fixing()
    incident, agent = make_assigned_incident()
    applied = client_for(agent).post(
        action(problem, "apply-workaround"), {"incident": incident.pk}, format="json"
    )
    assert applied.status_code == 200, applied.content
    assert applied.json()["workaround_uses"] == 1
    assert Comment.objects.filter(pk=applied.json()["comment"], is_public=False).exists()
    incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    waiting = make_incident()
    services.link_incidents(actor=manager, problem=problem, incidents=[waiting])
    assert_problem(
        client_for(agent).post(action(problem, "resolve-incidents"), {"resolution": "x"}), 403
    )
    outcome = client_for(manager).post(
        action(problem, "resolve-incidents"), {"resolution": "Fixed by CHG42."}, format="json"
    )
    assert outcome.status_code == 200, outcome.content
    assert outcome.json()["resolved"] == [incident.number]
    assert [r["incident"] for r in outcome.json()["refused"]] == [waiting.number]
    assert Incident.objects.get(pk=incident.pk).state == "resolved"


@pytest.mark.django_db
def test_the_known_error_database_is_searchable_through_the_api() -> None:
    printer = make_known_error(title="Label printers drop jobs")
    make_problem(title="Label printers are slow")
    client = client_for(make_agent())
    found = client.get(reverse("problem-list"), {"is_known_error": "true", "q": "printers"})
    assert [row["id"] for row in found.json()["results"]] == [printer.pk]
