"""The self-service portal: what a requester sees, does, and can never reach."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from steward.accounts import services as accounts
from steward.accounts.tests.factories import PASSWORD, make_admin, make_agent, make_organisation
from steward.cmdb.tests.factories import make_service
from steward.core.models import AuditEntry
from steward.incidents import services as incidents
from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_incident
from steward.servicedesk.models.satisfaction import SatisfactionRating
from steward.servicedesk.tests.portal_helpers import (
    make_requester,
    resolved_incident,
    signed_in,
    worked_incident,
)
from steward.tickets import services as tickets
from steward.tickets.models import Attachment, Comment, Ticket
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


# --- landing and the agent UI -------------------------------------------------------------------


def test_a_requester_lands_on_the_portal_after_signing_in_and_agents_do_not() -> None:
    # given a requester and an agent
    requester = make_requester()
    agent = make_agent()
    login = reverse("accounts:login")
    # when each signs in
    client = Client()
    response = client.post(login, {"username": requester.email, "password": PASSWORD}, follow=True)
    # then the requester ends on the portal, the agent on the agent home page
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert response.templates[0].name == "portal/home.html"
    staff = Client()
    landed = staff.post(login, {"username": agent.email, "password": PASSWORD}, follow=True)
    assert landed.redirect_chain[-1][0] == reverse("core:home")
    assert landed.templates[0].name == "core/home.html"
    # and ``next`` is honoured for the requester too
    ticket = make_incident(requester=requester)
    wanted = reverse("portal:ticket", args=[ticket.number])
    nexted = Client().post(
        f"{login}?next={wanted}", {"username": requester.email, "password": PASSWORD}
    )
    assert nexted["Location"] == wanted


@pytest.mark.parametrize(
    "url",
    [
        "/tickets/",
        "/tickets/priority-matrix/",
        "/accounts/admin/people/",
        "/accounts/admin/roles/",
        "/admin/process-profile/",
        "/service-desk/satisfaction/",
    ],
)
def test_a_requester_never_gets_an_agent_ui_page(url: str) -> None:
    # given a requester / when they ask for a page of the agent UI / then it is refused
    response = signed_in(make_requester()).get(url)
    assert response.status_code in (403, 404), response.status_code
    assert b"nav-group" not in response.content


def test_agent_ui_links_to_a_ticket_send_the_requester_to_the_portal_page() -> None:
    # given a requester's incident (an e-mail may link to the agent UI's ticket page)
    incident = make_incident(requester=make_requester())
    client = signed_in(incident.requester)
    # when they follow /tickets/<number>/ or ask for the home page
    # then they reach the portal's pages instead
    page = client.get(f"/tickets/{incident.number}/")
    assert page["Location"] == reverse("portal:ticket", args=[incident.number])
    assert client.get("/")["Location"] == reverse("portal:home")
    assert client.get("/tickets/new/")["Location"] == reverse("portal:report")
    # but a write to the agent UI is refused, and changes nothing
    refused = client.post(
        reverse("tickets:comment_add", args=[incident.number]), {"body": "via agent UI"}
    )
    assert refused.status_code == 403
    assert not Comment.objects.filter(body="via agent UI").exists()
    # staff keep the agent UI
    assert signed_in(make_agent()).get("/tickets/").status_code == 200


def test_a_requester_gets_403_or_404_from_the_apis_administrative_endpoints() -> None:
    # given a requester, an administrator, a team and another requester's ticket
    requester = make_requester()
    admin = make_admin()
    other = make_incident(requester=make_requester())
    client = signed_in(requester)
    # when they call the administrative endpoints / then they are refused or find nothing
    assert client.get(f"/api/v1/people/{admin.pk}/").status_code == 404
    assert client.post("/api/v1/people/", {"email": "x@example.test"}).status_code == 403
    assert client.post("/api/v1/teams/", {"name": "Mine now"}).status_code == 403
    assert client.post("/api/v1/assignment-rules/", {"name": "r"}).status_code == 403
    assert (
        client.put("/api/v1/process-profile/", {"profile": "lite"}, "application/json").status_code
        == 403
    )
    assert client.get(f"/api/v1/tickets/{other.pk}/").status_code == 404
    assert client.get(f"/api/v1/incidents/{other.pk}/").status_code == 404


# --- my tickets ---------------------------------------------------------------------------------


def test_my_tickets_lists_mine_and_my_sharing_organisations_with_state_labels() -> None:
    # given requesters of a sharing organisation, one of a private one
    sharing = make_organisation(requesters_see_organisation=True)
    alice = make_requester(organisation=sharing)
    colleague = make_requester(organisation=sharing)
    stranger = make_requester()
    mine = make_incident(requester=alice)
    theirs = make_incident(requester=colleague)
    hidden = make_incident(requester=stranger)
    resolved, _ = resolved_incident(alice)
    # when alice opens the portal
    page = signed_in(alice).get(reverse("portal:home"))
    # then she sees hers and her organisation's, never the stranger's
    numbers = {row.number for row in page.context["page"].object_list}
    assert numbers == {mine.number, theirs.number, resolved.number}
    html = page.content.decode()
    assert hidden.number not in html
    assert "Resolved" in html and "New" in html
    assert 'data-testid="awaits-confirmation"' in html
    # and the "open" view leaves out the resolved one
    only_open = signed_in(alice).get(reverse("portal:home"), {"show": "open"})
    assert resolved.number not in {r.number for r in only_open.context["page"].object_list}
    # htmx asks for the rows only
    rows = signed_in(alice).get(reverse("portal:home"), HTTP_HX_REQUEST="true")
    assert rows.templates[0].name == "portal/_ticket_rows.html"


def test_my_tickets_costs_the_same_queries_for_5_and_50_tickets(
    django_assert_max_num_queries: Any,
) -> None:
    # given a requester with 5 tickets, two of them resolved and one rated
    requester = make_requester()
    for _ in range(3):
        make_incident(requester=requester)
    first, _ = resolved_incident(requester)
    resolved_incident(requester)
    from steward.servicedesk import satisfaction

    satisfaction.rate(actor=requester, ticket=first, score=5)
    client = signed_in(requester)
    client.get(reverse("portal:home"))  # warm the session

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("portal:home")).status_code == 200
        return len(captured)

    few = count()
    # when there are 50
    for _ in range(45):
        make_ticket(requester=requester)
    # then the page costs the same, within budget
    with django_assert_max_num_queries(few):
        page = client.get(reverse("portal:home"))
    assert len(page.context["page"].object_list) == 25
    assert few <= 12


# --- the id-guessing matrix ---------------------------------------------------------------------


def test_another_requesters_ticket_is_404_on_every_portal_url() -> None:
    # given a resolved incident of somebody else, with a public file
    victim, _ = resolved_incident()
    attachment = tickets.add_attachment(
        actor=victim.requester,
        ticket=victim,
        file=SimpleUploadedFile("note.txt", b"private"),
        filename="note.txt",
    )
    intruder = signed_in(make_requester())
    before = Incident.objects.get(pk=victim.pk).version
    comments = Comment.objects.count()
    number = victim.number
    # when the intruder guesses every portal URL that takes an id
    gets = [
        reverse("portal:ticket", args=[number]),
        reverse("portal:ticket", args=[number.lower()]),
        reverse("portal:attachment_download", args=[attachment.pk]),
        f"/tickets/{number}/",  # redirected to the portal page, which is a 404
    ]
    posts = [
        (reverse("portal:ticket_reply", args=[number]), {"body": "mine now"}),
        (reverse("portal:ticket_confirm", args=[number]), {}),
        (reverse("portal:ticket_reject", args=[number]), {"reason": "no"}),
        (reverse("portal:ticket_rate", args=[number]), {"score": "1"}),
    ]
    # then each answers 404 and nothing changed
    for url in gets:
        assert intruder.get(url, follow=True).status_code == 404, url
    for url, data in posts:
        assert intruder.post(url, data).status_code == 404, url
    assert Incident.objects.get(pk=victim.pk).version == before
    assert Comment.objects.count() == comments
    assert not SatisfactionRating.objects.exists()


def test_work_notes_and_internal_fields_never_reach_any_portal_page() -> None:
    # given an incident with a team, an assignee, a work note, time spent and an internal file
    incident, agent = worked_incident()
    tickets.add_attachment(
        actor=agent,
        ticket=incident,
        file=SimpleUploadedFile("INTERNALFILE.txt", b"x"),
        filename="INTERNALFILE.txt",
        is_public=False,
    )
    incidents.resolve_incident(
        actor=agent, incident=incident, resolution_code="solved_permanently", resolution="Done."
    )
    client = signed_in(incident.requester)
    # when the requester looks at every portal page
    pages = [
        client.get(reverse("portal:home")),
        client.get(reverse("portal:ticket", args=[incident.number])),
        client.get(reverse("portal:report")),
    ]
    # then the public reply is there (with its author's name), and nothing internal is
    ticket_html = pages[1].content.decode()
    assert "We are <strong>on it</strong>." in ticket_html
    assert "Agent Smithers" in ticket_html
    for page in pages:
        html = page.content.decode()
        for secret in (
            "WORKNOTE",
            "TIMENOTE",
            "INTERNALFILE",
            "Secret team",
            agent.email,
            "Assignee",
            "Team",
            "Priority",
            "work note",
            "Reassignment",
            "nav-group",
        ):
            assert secret not in html, (secret, page.request["PATH_INFO"])


# --- reporting ----------------------------------------------------------------------------------


def test_report_an_incident_with_two_attachments() -> None:
    # given a requester who may see one service
    requester = make_requester()
    service = make_service(owner=requester)
    make_service(name="Somebody else's service")
    client = signed_in(requester)
    form = client.get(reverse("portal:report")).context["form"]
    assert list(form.fields["service"].queryset) == [service]
    # when they report an incident with two files
    response = client.post(
        reverse("portal:report"),
        {
            "title": "Scanner eats paper",
            "description": "It *crunches*.",
            "service": service.pk,
            "urgency": "2",
            "attachments": [
                SimpleUploadedFile("scan.log", b"jam at tray 2\n"),
                SimpleUploadedFile("photo.png", PNG),
            ],
        },
    )
    # then the incident exists as a portal report, with both files, public
    incident = Incident.objects.get(title="Scanner eats paper")
    assert response["Location"] == reverse("portal:ticket", args=[incident.number])
    assert (incident.requester, incident.contact_type) == (requester, "portal")
    assert (incident.service, incident.urgency) == (service, 2)
    files = sorted(incident.attachments.values_list("filename", "content_type", "is_public"))
    assert files == [("photo.png", "image/png", True), ("scan.log", "text/plain", True)]
    page = client.get(response["Location"]).content.decode()
    assert "scan.log" in page and "<em>crunches</em>" in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (SimpleUploadedFile("setup.exe", b"MZ\x90\x00" + b"\x00" * 60), "program"),
        (
            SimpleUploadedFile(
                "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>1</script></svg>'
            ),
            "",
        ),
        (SimpleUploadedFile("big.txt", b"x" * 2048), "large"),
    ],
)
def test_a_refused_file_is_a_form_error_and_creates_nothing(
    settings: Any, upload: Any, message: str
) -> None:
    # given a small attachment limit
    settings.STEWARD = {**settings.STEWARD, "ATTACHMENT_MAX_BYTES": 1024}
    client = signed_in(make_requester())
    tickets_before, files_before = Ticket.objects.count(), Attachment.objects.count()
    # when a report carries one good and one refused file
    response = client.post(
        reverse("portal:report"),
        {
            "title": "With a bad file",
            "urgency": "3",
            "attachments": [SimpleUploadedFile("ok.txt", b"fine"), upload],
        },
    )
    # then the form says why and nothing was created
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["attachments"])
    assert upload.name in errors
    assert message in errors.lower()
    assert Ticket.objects.count() == tickets_before
    assert Attachment.objects.count() == files_before


def test_a_report_without_a_title_is_a_form_error() -> None:
    client = signed_in(make_requester())
    response = client.post(reverse("portal:report"), {"title": "", "urgency": "3"})
    assert response.status_code == 400
    assert "title" in response.context["form"].errors
    assert not Incident.objects.exists()


# --- the ticket page: reply, confirm, reject ----------------------------------------------------


def test_reply_with_a_file_and_a_reply_to_a_resolved_incident_reopens_it() -> None:
    # given a resolved incident
    incident, _ = resolved_incident()
    client = signed_in(incident.requester)
    # when the requester replies with a file
    response = client.post(
        reverse("portal:ticket_reply", args=[incident.number]),
        {"body": "Still **jammed**.", "attachments": [SimpleUploadedFile("again.txt", b"jam")]},
    )
    # then the reply and its file are there, and the incident is back in work
    assert response.status_code == 302
    comment = Comment.objects.get(body="Still **jammed**.")
    assert comment.is_public and comment.author == incident.requester
    assert comment.attachments.get().filename == "again.txt"
    incident.refresh_from_db()
    assert (incident.state, incident.reopen_count) == ("in_progress", 1)
    # an empty reply is a form error
    empty = client.post(reverse("portal:ticket_reply", args=[incident.number]), {"body": " "})
    assert empty.status_code == 400


def test_confirming_the_resolution_closes_the_incident_and_is_audited() -> None:
    # given a resolved incident
    incident, _ = resolved_incident()
    client = signed_in(incident.requester)
    page = client.get(reverse("portal:ticket", args=[incident.number]))
    assert page.context["may_confirm"] and page.context["may_reject"]
    assert "Replaced the <strong>toner</strong>." in page.content.decode()
    # when the requester confirms
    client.post(reverse("portal:ticket_confirm", args=[incident.number]))
    # then it is closed, and the confirmation is theirs in the audit log
    incident.refresh_from_db()
    assert incident.state == "closed" and incident.closed_at is not None
    entry = AuditEntry.objects.get(action="ticket.resolution_confirmed")
    assert entry.actor == incident.requester
    # confirming again is not possible
    again = client.post(reverse("portal:ticket_confirm", args=[incident.number]), follow=True)
    assert "Only a resolved ticket can be confirmed." in again.content.decode()


def test_rejecting_the_resolution_reopens_it_with_the_reason_as_a_reply() -> None:
    # given a resolved incident
    incident, _ = resolved_incident()
    client = signed_in(incident.requester)
    # when the requester rejects without a reason / then nothing happens
    empty = client.post(reverse("portal:ticket_reject", args=[incident.number]), {"reason": ""})
    assert empty.status_code == 400
    incident.refresh_from_db()
    assert incident.state == "resolved"
    # when they give a reason
    client.post(reverse("portal:ticket_reject", args=[incident.number]), {"reason": "Still jams."})
    # then it is back in work with their reason as a public reply
    incident.refresh_from_db()
    assert (incident.state, incident.reopen_count) == ("in_progress", 1)
    assert incident.comments.filter(body="Still jams.", is_public=True).exists()
    assert AuditEntry.objects.filter(action="ticket.resolution_rejected").count() == 1


def test_outside_the_reopening_window_only_confirming_is_offered() -> None:
    # given a resolved incident whose reopening window has passed
    incident, _ = resolved_incident()
    Incident.objects.filter(pk=incident.pk).update(auto_close_at="2000-01-01T00:00:00Z")
    client = signed_in(incident.requester)
    # then the page offers confirming only, and a rejection is refused
    page = client.get(reverse("portal:ticket", args=[incident.number]))
    assert page.context["may_confirm"] and not page.context["may_reject"]
    refused = client.post(
        reverse("portal:ticket_reject", args=[incident.number]), {"reason": "Still jams."}
    )
    assert refused.status_code == 400
    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert not incident.comments.filter(body="Still jams.").exists()


def test_a_colleague_who_sees_the_ticket_may_not_confirm_or_reject_it() -> None:
    # given a sharing organisation and a colleague's resolved incident
    sharing = make_organisation(requesters_see_organisation=True)
    incident, _ = resolved_incident(make_requester(organisation=sharing))
    colleague = signed_in(make_requester(organisation=sharing))
    page = colleague.get(reverse("portal:ticket", args=[incident.number]))
    assert page.status_code == 200
    assert not page.context["may_confirm"] and not page.context["may_reject"]
    assert not page.context["may_rate"] and not page.context["may_reply"]
    # when they try anyway / then nothing changes
    colleague.post(reverse("portal:ticket_confirm", args=[incident.number]))
    colleague.post(reverse("portal:ticket_reject", args=[incident.number]), {"reason": "x"})
    incident.refresh_from_db()
    assert incident.state == "resolved"


def test_a_plain_resolved_task_can_be_confirmed_but_not_reopened_by_its_requester() -> None:
    # given a resolved task (its workflow lets only the service desk reopen)
    agent = make_agent()
    task = make_ticket(requester=make_requester(), assignee=agent)
    task = tickets.transition_ticket(actor=agent, ticket=task, to="in_progress")
    task = tickets.transition_ticket(
        actor=agent, ticket=task, to="resolved", values={"resolution": "Done"}
    )
    page = signed_in(task.requester).get(reverse("portal:ticket", args=[task.number]))
    # then confirming is offered, rejecting is not
    assert page.context["may_confirm"] and not page.context["may_reject"]


def test_a_deactivated_requesters_session_is_refused() -> None:
    requester = make_requester()
    client = signed_in(requester)
    accounts.update_person(actor=None, person=requester, is_active=False)
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302


def test_the_demo_gives_alice_tickets_to_confirm_and_rate_and_the_report_data() -> None:
    # given the demo data
    from steward.accounts.demo import DEMO_DOMAIN, load_demo
    from steward.accounts.models import Person
    from steward.core import demo

    load_demo(password=PASSWORD)
    demo.load_all()
    demo.load_all()  # a second load adds nothing
    alice = Person.objects.get(email=f"alice.johnson@{DEMO_DOMAIN}")
    # when alice opens the portal
    page = signed_in(alice).get(reverse("portal:home"))
    # then she sees several tickets, one resolved waiting for her confirmation and rating
    html = page.content.decode()
    assert len(page.context["page"].object_list) >= 4
    assert html.count('data-testid="awaits-confirmation"') == 1
    assert 'data-testid="awaits-rating"' in html
    from steward.servicedesk.demo import INCIDENTS

    titles = [title for requester, title, *_ in INCIDENTS if requester == "alice.johnson"]
    assert Incident.objects.filter(requester=alice, title__in=titles).count() == 3
    assert SatisfactionRating.objects.count() == 2
