"""The problem pages: list (filters, paging, query count), raising and editing, the analysis
form per method, linking incidents from either side, the known-error list, applying a
workaround and resolving the linked incidents; requesters reach none of it."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person
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

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.mark.parametrize("portal_gate", [True, False])
def test_requesters_reach_no_problem_page(settings: Any, portal_gate: bool) -> None:
    # with the portal gate (the default) the agent UI refuses requesters as a whole (403) and
    # a ticket page becomes the portal's; without it, each problem page is a 404 for them
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": portal_gate}
    organisation = make_organisation(requesters_see_organisation=True)
    requester = make_person(organisation=organisation)
    problem = make_known_error(organisation=organisation)
    incident = make_incident(requester=requester)
    services.link_incidents(actor=make_agent(), problem=problem, incidents=[incident])
    client = signed_in(requester)
    refused = 403 if portal_gate else 404
    for url in (
        reverse("problems:problem_list"),
        reverse("problems:known_error_list"),
        reverse("problems:problem_create"),
        reverse("problems:analysis", args=[problem.number]),
        reverse("problems:link_incidents", args=[problem.number]),
    ):
        assert client.get(url).status_code == refused, url
    assert client.get(problem.get_absolute_url(), follow=True).status_code == 404
    posted = client.post(
        reverse("problems:apply_workaround", args=[problem.number, incident.number])
    )
    assert posted.status_code == refused
    assert Problem.objects.get(pk=problem.pk).workaround_uses == 0
    page = client.get(incident.get_absolute_url(), follow=True)
    assert page.status_code == 200
    assert problem.number.encode() not in page.content


def test_the_list_filters_pages_and_costs_the_same_queries_for_more_rows() -> None:
    agent = make_agent()
    known = make_known_error()
    make_problem()
    client = signed_in(agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("problems:problem_list")).status_code == 200
        return len(queries)

    few = count()
    for _ in range(8):
        make_known_error(service=None)
    assert count() == few
    assert few <= 14, few
    filtered = client.get(reverse("problems:problem_list"), {"is_known_error": "false"})
    assert [row.pk for row in filtered.context["page"]] != [] and known.pk not in [
        row.pk for row in filtered.context["page"]
    ]
    page = client.get(reverse("problems:problem_list"))
    assert b'data-testid="known-error-flag"' in page.content
    assert b"New problem" not in page.content  # agents do not raise problems
    rows = client.get(reverse("problems:problem_list"), HTTP_HX_REQUEST="true")
    assert b'id="problem-rows"' in rows.content and b"<html" not in rows.content


def test_the_list_pages_past_fifty() -> None:
    # rows written directly: 51 problems through the services would only slow the test
    requester = make_problem_manager()
    for n in range(51):
        Problem.objects.create(
            title=f"Bulk {n}",
            requester=requester,
            kind="problems.problem",
            number=f"PRBX{n:05d}",
            state="new",
        )
    client = signed_in(make_agent())
    first = client.get(reverse("problems:problem_list"))
    second = client.get(reverse("problems:problem_list"), {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 1


def test_the_known_error_list_costs_the_same_queries_for_more_rows() -> None:
    client = signed_in(make_agent())
    make_known_error()

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("problems:known_error_list")).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        make_known_error()
    assert count() == few <= 12


def test_a_problem_manager_raises_and_edits_a_problem() -> None:
    manager = make_problem_manager()
    client = signed_in(manager)
    refused = client.post(
        reverse("problems:problem_create"), {"title": "", "impact": 2, "urgency": 2}
    )
    assert refused.status_code == 200 and "title" in refused.context["form"].errors
    created = client.post(
        reverse("problems:problem_create"),
        {"title": "VPN drops hourly", "description": "All sites.", "impact": 2, "urgency": 1},
    )
    problem = Problem.objects.get()
    assert created.status_code == 302 and created["Location"] == problem.get_absolute_url()
    edit_url = reverse("problems:problem_edit", args=[problem.number])
    stale = client.post(
        edit_url,
        {"title": "VPN drops", "impact": 2, "urgency": 1, "version": problem.version + 5},
    )
    assert "changed meanwhile" in str(stale.context["form"].non_field_errors())
    client.post(
        edit_url, {"title": "VPN drops", "impact": 2, "urgency": 1, "version": problem.version}
    )
    assert Problem.objects.get().title == "VPN drops"
    page = client.get(problem.get_absolute_url())
    assert b'id="problem"' in page.content and b'data-testid="edit-problem"' in page.content


def test_agents_may_not_raise_or_edit_problems() -> None:
    agent, problem = make_agent(), make_problem()
    client = signed_in(agent)
    assert client.get(reverse("problems:problem_create")).status_code == 403
    assert client.get(reverse("problems:problem_edit", args=[problem.number])).status_code == 403
    assert client.get(reverse("problems:analysis", args=[problem.number])).status_code == 403
    page = client.get(problem.get_absolute_url())
    assert page.status_code == 200 and b'data-testid="edit-problem"' not in page.content


@pytest.mark.parametrize(
    ("method", "fields", "stored"),
    [
        (
            "five_whys",
            {"problem_statement": "VPN drops", "why_1": "Keys expire", "why_2": "Short lifetime"},
            {"problem_statement": "VPN drops", "whys": ["Keys expire", "Short lifetime"]},
        ),
        (
            "ishikawa",
            {"effect": "VPN drops", "cause_technology": "Old firmware\nKey lifetime"},
            {"effect": "VPN drops", "causes": {"technology": ["Old firmware", "Key lifetime"]}},
        ),
        (
            "kepner_tregoe",
            {"what_is": "Tunnel resets", "where_is": "All sites", "most_probable_cause": "Keys"},
            {"most_probable_cause": "Keys"},
        ),
        (
            "fault_tree",
            {
                "top_event": "VPN down",
                "events": "A | | or | Tunnel reset\nB | A | basic | Key expiry",
            },
            {"top_event": "VPN down"},
        ),
    ],
)
def test_the_analysis_form_records_each_method(
    method: str, fields: dict[str, str], stored: dict[str, Any]
) -> None:
    manager, problem = make_problem_manager(), make_problem()
    client = signed_in(manager)
    url = reverse("problems:analysis", args=[problem.number]) + f"?method={method}"
    assert client.get(url).context["method"] == method
    done = client.post(
        url, {**fields, "root_cause": "Key lifetime too short.", "version": problem.version}
    )
    assert done.status_code == 302, done.context["form"].errors if done.context else done
    fresh = Problem.objects.get(pk=problem.pk)
    assert fresh.rca_method == method and fresh.root_cause == "Key lifetime too short."
    assert stored.items() <= fresh.rca_data.items()
    page = client.get(problem.get_absolute_url())
    assert b'id="analysis"' in page.content


def test_a_bad_analysis_shows_the_error_and_keeps_the_input() -> None:
    manager, problem = make_problem_manager(), make_problem()
    client = signed_in(manager)
    url = reverse("problems:analysis", args=[problem.number]) + "?method=fault_tree"
    refused = client.post(
        url, {"top_event": "Down", "events": "A | Z | or | Orphan", "version": problem.version}
    )
    assert refused.status_code == 400
    assert "no event 'Z'" in " ".join(refused.context["form"].non_field_errors())
    assert b"A | Z | or | Orphan" in refused.content
    assert Problem.objects.get(pk=problem.pk).rca_method == ""


def test_an_agent_links_incidents_found_by_a_search_and_by_number() -> None:
    agent, problem = make_agent(), make_problem()
    vpn = [make_incident(title="VPN tunnel drops"), make_incident(title="VPN tunnel drops again")]
    other = make_incident(title="Printer jammed")
    client = signed_in(agent)
    url = reverse("problems:link_incidents", args=[problem.number])
    found = client.get(url, {"q": "tunnel"})
    assert {row.pk for row in found.context["results"]} == {i.pk for i in vpn}
    linked = client.post(url, {"incident": [i.pk for i in vpn]})
    assert linked.status_code == 302
    client.post(url, {"numbers": other.number.lower()})
    assert set(services.linked_incidents(problem)) == {*vpn, other}
    page = client.get(problem.get_absolute_url())
    assert page.context["kind_panels"][0]["context"]["incident_count"] == 3
    client.post(reverse("problems:unlink_incident", args=[problem.number, other.number]))
    assert set(services.linked_incidents(problem)) == set(vpn)


def test_linking_an_incident_the_agent_cannot_see_is_404_and_links_nothing() -> None:
    from steward.accounts import services as accounts

    mine, theirs = make_organisation(), make_organisation()
    agent = make_agent(organisation=mine)
    accounts.update_person(actor=None, person=agent, serves_organisations=[mine])
    problem = make_problem(organisation=mine)
    seen, hidden = make_incident(organisation=mine), make_incident(organisation=theirs)
    client = signed_in(agent)
    url = reverse("problems:link_incidents", args=[problem.number])
    assert client.post(url, {"incident": [seen.pk, hidden.pk]}).status_code == 404
    assert client.post(url, {"numbers": hidden.number}).status_code == 404
    assert not TicketLink.objects.exists()


def test_from_the_incident_page_link_a_problem_and_apply_its_workaround() -> None:
    problem = make_known_error()
    incident, agent = make_assigned_incident()
    client = signed_in(agent)
    page = client.get(incident.get_absolute_url())
    assert b'data-testid="no-problem"' in page.content
    client.post(
        reverse("problems:link_to_problem", args=[incident.number]), {"number": problem.number}
    )
    page = client.get(incident.get_absolute_url())
    assert b'data-testid="incident-problem"' in page.content
    assert b'data-testid="apply-workaround"' in page.content
    applied = client.post(
        reverse("problems:apply_workaround", args=[problem.number, incident.number])
    )
    assert applied.status_code == 302
    note = Comment.objects.get(ticket=incident)
    assert not note.is_public and problem.number in note.body
    assert Problem.objects.get(pk=problem.pk).workaround_uses == 1
    unlinked = client.post(
        reverse("problems:unlink_incident", args=[problem.number, incident.number]),
        {"back": "incident"},
    )
    assert unlinked["Location"] == incident.get_absolute_url()
    assert not services.problems_of(incident).exists()


def test_the_known_error_list_is_searchable() -> None:
    agent = make_agent()
    printer = make_known_error(title="Label printers drop jobs")
    make_known_error(title="Mail stops at night")
    make_problem(title="Label printers are slow")  # not a known error
    client = signed_in(agent)
    found = client.get(reverse("problems:known_error_list"), {"q": "label printers"})
    assert [row.pk for row in found.context["page"]] == [printer.pk]
    by_workaround = client.get(reverse("problems:known_error_list"), {"q": "transport"})
    assert len(by_workaround.context["page"].object_list) == 2


def test_a_problem_manager_resolves_the_linked_incidents_and_sees_refusals() -> None:
    manager, problem = make_problem_manager(), make_fixing()
    working, agent = make_assigned_incident()
    working = incidents.transition_incident(actor=agent, incident=working, to="in_progress")
    waiting = make_incident()
    services.link_incidents(actor=manager, problem=problem, incidents=[working, waiting])
    client = signed_in(manager)
    page = client.get(problem.get_absolute_url())
    assert b'data-testid="resolve-incidents"' in page.content
    done = client.post(
        reverse("problems:resolve_incidents", args=[problem.number]),
        {"resolution_code": "resolved_by_change", "resolution": "Firmware updated."},
        follow=True,
    )
    texts = [str(m) for m in done.context["messages"]]
    assert "1 linked incident(s) resolved." in texts
    assert any(waiting.number in text and "not resolved" in text for text in texts)
    assert Incident.objects.get(pk=working.pk).state == "resolved"
    assert Incident.objects.get(pk=waiting.pk).state == "new"
