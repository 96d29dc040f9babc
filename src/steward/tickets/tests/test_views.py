"""The agent's queue and the ticket page in the web UI."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.tickets import services
from steward.tickets.models import Ticket
from steward.tickets.tests.factories import make_assigned_ticket, make_ticket

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_queue_shows_my_teams_work_with_a_constant_query_count() -> None:
    agent = make_agent()
    team = make_team(lead=agent)
    other_team = make_team(lead=make_agent())
    mine = make_ticket(team=team, assignee=agent, impact=1, urgency=1)
    unassigned = make_ticket(team=team, impact=3, urgency=3)
    elsewhere = make_ticket(team=other_team)
    client = signed_in(agent)
    with CaptureQueriesContext(connection) as few:
        page = client.get(reverse("tickets:queue"))
    rows = list(page.context["page"])
    assert rows == [mine, unassigned], "my teams' open work, most urgent first"
    assert elsewhere not in rows
    for _ in range(10):
        make_ticket(team=team)
    with CaptureQueriesContext(connection) as many:
        page = client.get(reverse("tickets:queue"))
    assert page.context["page"].paginator.count == 12
    assert len(many) == len(few)
    unassigned_only = client.get(reverse("tickets:queue"), {"queue": "unassigned"})
    assert mine not in list(unassigned_only.context["page"])
    by_age = client.get(reverse("tickets:queue"), {"sort": "age"})
    assert list(by_age.context["page"])[0] == mine


def test_requesters_get_their_own_tickets_instead_of_a_queue(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    ticket = make_ticket()
    other = make_ticket()
    client = signed_in(ticket.requester)
    page = client.get(reverse("tickets:queue"))
    assert list(page.context["page"]) == [ticket]
    assert client.get(other.get_absolute_url()).status_code == 404


def test_a_requester_opens_a_ticket_in_the_browser_form(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    requester = make_person()
    client = signed_in(requester)
    form = client.get(reverse("tickets:ticket_create")).context["form"]
    assert "team" not in form.fields
    response = client.post(
        reverse("tickets:ticket_create"),
        {"title": "Screen flickers", "description": "Since the update", "impact": 3, "urgency": 2},
    )
    ticket = Ticket.objects.get(title="Screen flickers")
    assert response["Location"] == ticket.get_absolute_url()
    bad = client.post(
        reverse("tickets:ticket_create"),
        {"title": "XSS", "description": "<script>alert(1)</script>", "impact": 3, "urgency": 3},
    )
    assert bad.status_code == 200
    assert "description" in bad.context["form"].errors
    assert not Ticket.objects.filter(title="XSS").exists()


def test_the_ticket_page_offers_only_allowed_transitions_and_runs_them(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    ticket, agent = make_assigned_ticket()
    client = signed_in(agent)
    page = client.get(ticket.get_absolute_url())
    targets = {t.target for t in page.context["transitions"]}
    assert targets == {"assigned", "in_progress", "cancelled"}
    requester_page = signed_in(ticket.requester).get(ticket.get_absolute_url())
    assert requester_page.context["transitions"] == []
    client.post(
        reverse("tickets:ticket_transition", args=[ticket.number, "in_progress"]),
        {"version": 1, "assignee": agent.pk},
    )
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"
    form = client.post(
        reverse("tickets:ticket_transition", args=[ticket.number, "resolved"]),
        {"version": ticket.version, "resolution": ""},
    )
    assert "resolution" in form.context["form"].errors
    client.post(
        reverse("tickets:ticket_transition", args=[ticket.number, "resolved"]),
        {"version": ticket.version, "resolution": "Cleaned the rollers."},
    )
    ticket.refresh_from_db()
    assert ticket.state == "resolved"
    assert "Cleaned the rollers." in client.get(ticket.get_absolute_url()).content.decode()


def test_a_stale_edit_shows_a_conflict_and_saves_nothing() -> None:
    ticket, agent = make_assigned_ticket(title="Original")
    client = signed_in(agent)
    form = client.get(reverse("tickets:ticket_edit", args=[ticket.number])).context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    services.update_ticket(actor=make_agent(), ticket=ticket, title="Changed meanwhile")
    data["title"] = "My edit"
    response = client.post(reverse("tickets:ticket_edit", args=[ticket.number]), data)
    assert response.status_code == 409
    assert b'data-testid="conflict"' in response.content
    ticket.refresh_from_db()
    assert ticket.title == "Changed meanwhile"


def test_work_notes_stay_out_of_the_requesters_timeline(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    ticket, agent = make_assigned_ticket()
    agent_client = signed_in(agent)
    agent_client.post(
        reverse("tickets:comment_add", args=[ticket.number]),
        {"body": "Vendor case 4711", "is_public": "false"},
    )
    agent_client.post(
        reverse("tickets:comment_add", args=[ticket.number]),
        {"body": "We **ordered** a part.", "is_public": "true"},
    )
    requester_page = signed_in(ticket.requester).get(ticket.get_absolute_url())
    html = requester_page.content.decode()
    assert "Vendor case 4711" not in html
    assert "We <strong>ordered</strong> a part." in html
    agent_html = agent_client.get(ticket.get_absolute_url()).content.decode()
    assert "Vendor case 4711" in agent_html


def test_attachments_through_the_form(settings: Any, tmp_path: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket()
    client = signed_in(ticket.requester)
    ok = client.post(
        reverse("tickets:attachment_add", args=[ticket.number]),
        {"file": SimpleUploadedFile("error.log", b"ERROR 42\n")},
    )
    assert ok.status_code == 302
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    refused = client.post(
        reverse("tickets:attachment_add", args=[ticket.number]),
        {"file": SimpleUploadedFile("logo.svg", svg)},
    )
    assert refused.status_code == 400
    assert refused.context["attachment_form"].errors["file"]
    attachment = ticket.attachments.get()
    download = client.get(attachment.get_absolute_url())
    assert download["Content-Disposition"].startswith("attachment")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert signed_in(make_person()).get(attachment.get_absolute_url()).status_code == 404


def test_links_and_time_from_the_ticket_page() -> None:
    ticket, agent = make_assigned_ticket()
    other = make_ticket()
    client = signed_in(agent)
    client.post(
        reverse("tickets:link_add", args=[ticket.number]),
        {"link_type": "caused_by", "target": other.number.lower()},
    )
    page = client.get(other.get_absolute_url())
    assert [row["label"] for row in page.context["links"]] == ["causes"]
    unknown = client.post(
        reverse("tickets:link_add", args=[ticket.number]),
        {"link_type": "related_to", "target": "TSK9999999"},
    )
    assert "target" in unknown.context["link_form"].errors
    client.post(reverse("tickets:time_add", args=[ticket.number]), {"minutes": 25})
    assert ticket.time_entries.get().minutes == 25


def test_administrators_edit_the_priority_matrix_and_agents_only_read_it() -> None:
    from steward.accounts.tests.factories import make_admin
    from steward.tickets.models import PriorityRule

    url = reverse("tickets:priority_matrix")
    cells = {
        f"cell-{i}-{u}": str(PriorityRule.objects.get(impact=i, urgency=u).priority)
        for i in (1, 2, 3)
        for u in (1, 2, 3)
    }
    agent = signed_in(make_agent())
    assert agent.get(url).context["may_change"] is False
    assert agent.post(url, {**cells, "cell-3-3": "4"}).status_code == 403
    admin = signed_in(make_admin())
    bad = admin.post(url, {**cells, "cell-3-3": "9"})
    assert bad.status_code == 200 and bad.context["errors"]
    assert admin.post(url, {**cells, "cell-3-3": "4"}).status_code == 302
    assert PriorityRule.objects.get(impact=3, urgency=3).priority == 4
    assert make_ticket(impact=3, urgency=3).priority == 4


def test_the_ticket_page_costs_the_same_with_more_links() -> None:
    ticket, agent = make_assigned_ticket()
    client = signed_in(agent)
    services.link_tickets(actor=agent, source=ticket, target=make_ticket(), link_type="related_to")
    with CaptureQueriesContext(connection) as few:
        client.get(ticket.get_absolute_url())
    for _ in range(5):
        services.link_tickets(
            actor=agent, source=ticket, target=make_ticket(), link_type="related_to"
        )
    with CaptureQueriesContext(connection) as many:
        page = client.get(ticket.get_absolute_url())
    assert len(page.context["links"]) == 6
    assert len(many) == len(few)
