"""The agent's incident pages: the list, opening at the desk, the incident panel (major
incident, communication log, children, review), interactions and the FCR report."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.incidents.models import Incident, Interaction, MajorIncidentUpdate
from steward.incidents.services import interactions, major
from steward.incidents.tests.factories import (
    make_assigned_incident,
    make_category,
    make_incident,
    make_incident_manager,
    make_interaction,
    make_major_incident,
    make_subcategory,
)
from steward.tickets.models import Comment, TicketLink

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_an_agent_has_no_declare_form_and_gets_403_posting_it() -> None:
    incident, agent = make_assigned_incident()
    client = signed_in(agent)
    page = client.get(incident.get_absolute_url())
    assert page.status_code == 200
    assert b'data-testid="declare-major"' not in page.content
    assert b'data-testid="reassign"' in page.content  # the routing actions are there
    url = reverse("incidents:declare_major", args=[incident.number])
    refused = client.post(url, {"major-manager": agent.pk, "major-reason": "Big"})
    assert refused.status_code == 403
    assert not Incident.objects.get(pk=incident.pk).is_major


def test_an_incident_manager_declares_from_the_incident_page() -> None:
    incident, _agent = make_assigned_incident()
    manager = make_incident_manager()
    client = signed_in(manager)
    assert b'data-testid="declare-major"' in client.get(incident.get_absolute_url()).content
    url = reverse("incidents:declare_major", args=[incident.number])
    missing = client.post(url, {"major-manager": manager.pk, "major-reason": ""})
    assert missing.status_code == 400
    assert "reason" in missing.context["panel"]["declare_form"].errors
    done = client.post(url, {"major-manager": manager.pk, "major-reason": "All wards"})
    assert done.status_code == 302
    row = Incident.objects.get(pk=incident.pk)
    assert row.is_major and row.major_manager == manager
    page = client.get(incident.get_absolute_url())
    assert b'data-testid="post-update"' in page.content


def test_posting_updates_and_the_requester_reads_customers_ones_as_replies() -> None:
    incident, manager = make_major_incident()
    client = signed_in(manager)
    url = reverse("incidents:post_update", args=[incident.number])
    assert client.post(url, {"update-audience": "internal", "update-body": ""}).status_code == 400
    client.post(url, {"update-audience": "internal", "update-body": "Bridge open."})
    client.post(url, {"update-audience": "customers", "update-body": "Restoring now."})
    assert MajorIncidentUpdate.objects.filter(incident=incident).count() == 2
    requester_page = signed_in(incident.requester).get(incident.get_absolute_url(), follow=True)
    text = requester_page.content.decode()
    assert "Restoring now." in text and "Bridge open." not in text
    assert Comment.objects.filter(ticket=incident, is_public=True).count() == 1


def test_bulk_attach_by_numbers_gives_form_errors_and_attaches_none() -> None:
    parent, manager = make_major_incident()
    good = make_incident()
    adopted = make_incident()
    major.attach_children(actor=manager, parent=make_incident(), children=[adopted])
    client = signed_in(manager)
    url = reverse("incidents:attach_children", args=[parent.number])
    unknown = client.post(url, {"children-numbers": f"{good.number} INC9999999"})
    assert unknown.status_code == 400
    assert "INC9999999" in str(unknown.context["panel"]["children_form"].errors)
    refused = client.post(url, {"children-numbers": f"{good.number}, {adopted.number}"})
    assert refused.status_code == 400
    assert "another parent" in str(refused.context["panel"]["children_form"].errors)
    assert not TicketLink.objects.filter(source=parent).exists()
    ok = client.post(url, {"children-numbers": good.number.lower()})
    assert ok.status_code == 302
    assert TicketLink.objects.filter(source=parent, target=good).exists()
    page = client.get(parent.get_absolute_url())
    assert good.number in page.content.decode()


def test_the_review_on_the_incident_page() -> None:
    incident, manager = make_major_incident()
    client = signed_in(manager)
    client.post(
        reverse("incidents:review_save", args=[incident.number]), {"review-summary": "It broke."}
    )
    assert incident.review.summary == "It broke."
    client.post(
        reverse("incidents:review_action_add", args=[incident.number]),
        {"action-description": "Rehearse failover", "action-owner": manager.pk},
    )
    action = incident.review.actions.get()
    client.post(reverse("incidents:review_action_done", args=[incident.number, action.pk]))
    action.refresh_from_db()
    assert action.is_done
    client.post(reverse("incidents:review_move", args=[incident.number, "in_review"]))
    refused = client.post(reverse("incidents:review_move", args=[incident.number, "completed"]))
    assert refused.status_code == 302
    incident.review.refresh_from_db()
    assert incident.review.status == "in_review"


@pytest.mark.parametrize("portal_gate", [True, False])
def test_requesters_have_no_incident_pages(settings: Any, portal_gate: bool) -> None:
    # with the portal gate (the default) the agent UI refuses requesters as a whole (403);
    # without it, each incident page still has nothing for them (404)
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": portal_gate}
    requester = make_person()
    client = signed_in(requester)
    for name in ("incident_list", "major_list", "incident_create", "fcr_report"):
        assert client.get(reverse(f"incidents:{name}")).status_code == (403 if portal_gate else 404)


def test_the_incident_list_filters_and_costs_the_same_queries_for_more_rows() -> None:
    manager = make_incident_manager()
    make_major_incident(manager=manager)
    make_incident()
    client = signed_in(manager)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("incidents:incident_list")).status_code == 200
        return len(queries)

    few = count()
    for _ in range(6):
        make_incident(category=make_category())
    assert count() == few
    majors = client.get(reverse("incidents:major_list"))
    assert [row.is_major for row in majors.context["page"]] == [True]
    assert b'data-testid="major-flag"' in majors.content
    filtered = client.get(reverse("incidents:incident_list"), {"is_major": "false"})
    assert all(not row.is_major for row in filtered.context["page"])


def test_opening_an_incident_at_the_desk() -> None:
    agent = make_agent()
    category = make_category()
    sub = make_subcategory(parent=category)
    other_sub = make_subcategory()
    caller = make_person()
    client = signed_in(agent)
    assert client.get(reverse("incidents:incident_create")).status_code == 200
    options = client.get(
        reverse("incidents:subcategory_options"), {"category": category.pk}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert sub.name in options and other_sub.name not in options
    preview = client.get(reverse("incidents:priority_preview"), {"impact": 1, "urgency": 1})
    assert "1 Critical" in preview.content.decode()
    bad = client.post(
        reverse("incidents:incident_create"),
        {
            "requester": caller.pk,
            "contact_type": "phone",
            "impact": 3,
            "urgency": 3,
            "category": category.pk,
            "subcategory": other_sub.pk,
            "title": "x",
        },
    )
    assert bad.status_code == 200 and "subcategory" in bad.context["form"].errors
    done = client.post(
        reverse("incidents:incident_create"),
        {
            "requester": caller.pk,
            "contact_type": "phone",
            "impact": 2,
            "urgency": 1,
            "category": category.pk,
            "subcategory": sub.pk,
            "title": "Phones dead",
        },
    )
    assert done.status_code == 302
    incident = Incident.objects.get(title="Phones dead")
    assert (incident.requester, incident.subcategory, incident.priority) == (caller, sub, 2)


def test_log_a_call_and_resolve_it_on_first_contact() -> None:
    agent = make_agent()
    caller = make_person()
    client = signed_in(agent)
    url = reverse("interactions:interaction_list")
    base: dict[str, Any] = {"caller": caller.pk, "channel": "phone", "summary": "Locked out"}
    missing = client.post(url, {**base, "outcome": "resolve"})
    assert missing.status_code == 400 and "resolution" in missing.context["form"].errors
    assert Interaction.objects.count() == 0
    done = client.post(url, {**base, "outcome": "resolve", "resolution": "Unlocked."})
    assert done.status_code == 302
    call = Interaction.objects.get()
    assert call.outcome == "resolved"
    raised = client.post(url, {**base, "summary": "Printer on fire", "outcome": "raise"})
    incident = Incident.objects.get(title="Printer on fire")
    assert raised["Location"] == incident.get_absolute_url()
    assert incident.contact_type == "phone"


def test_interaction_pages_are_scoped(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    agent = make_agent()
    mine = make_interaction(actor=agent)
    theirs = make_interaction(actor=agent)
    requester = signed_in(mine.caller)
    assert requester.get(mine.get_absolute_url()).status_code == 200
    assert (
        b'data-testid="resolve-first-contact"' not in requester.get(mine.get_absolute_url()).content
    )
    assert requester.get(theirs.get_absolute_url()).status_code == 404
    end = reverse("interactions:interaction_end", args=[theirs.number, "abandon"])
    assert requester.post(end).status_code == 404
    own_end = reverse("interactions:interaction_end", args=[mine.number, "abandon"])
    assert requester.post(own_end).status_code == 403
    listed = requester.get(reverse("interactions:interaction_list"))
    assert [row.pk for row in listed.context["page"]] == [mine.pk]
    assert listed.context["form"] is None
    # the agent ends it from its page
    staff = signed_in(agent)
    url = reverse("interactions:interaction_end", args=[theirs.number, "link"])
    assert staff.post(url, {"number": "INC404"}).status_code == 400
    incident = make_incident()
    staff.post(url, {"number": incident.number})
    assert Interaction.objects.get(pk=theirs.pk).incident == incident


def test_the_interaction_list_costs_the_same_queries_for_more_rows() -> None:
    agent = make_agent()
    make_interaction(actor=agent)
    client = signed_in(agent)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("interactions:interaction_list"))
        return len(queries)

    few = count()
    for _ in range(5):
        call = make_interaction(actor=agent)
        interactions.raise_incident_from_interaction(actor=agent, interaction=call)
    assert count() == few


def test_the_first_contact_resolution_page() -> None:
    agent = make_agent()
    team = make_team(lead=agent)
    for outcome in ("resolve", "resolve", "resolve", "raise"):
        call = make_interaction(actor=agent)
        if outcome == "resolve":
            interactions.resolve_on_first_contact(actor=agent, interaction=call, resolution="Ok")
        else:
            interactions.raise_incident_from_interaction(actor=agent, interaction=call)
    client = signed_in(agent)
    page = client.get(reverse("incidents:fcr_report"))
    assert page.status_code == 200
    assert page.context["figures"].interaction_rate == 0.75
    assert b'data-testid="interaction-rate">75%' in page.content
    by_team = client.get(
        reverse("incidents:fcr_report"),
        {"since": "2000-01-01", "until": "2000-01-31", "team": str(team.pk)},
    )
    assert by_team.context["figures"].interactions_ended == 0
    bad = client.get(
        reverse("incidents:fcr_report"), {"since": "2000-02-01", "until": "2000-01-01"}
    )
    assert bad.status_code == 400
    # requesters: covered by test_requesters_have_no_incident_pages (with and without the gate)
