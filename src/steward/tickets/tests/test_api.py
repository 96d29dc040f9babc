"""The ticket API endpoints through the shared permission harness, plus their specifics."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import (
    make_admin,
    make_agent,
    make_organisation,
    make_person,
    make_team,
)
from steward.core.models import AuditEntry
from steward.core.testing import ApiResourceTests, assert_problem
from steward.tickets import services
from steward.tickets.models import Comment, Ticket, TicketLink, TimeEntry
from steward.tickets.tests.factories import make_assigned_ticket, make_ticket


def client_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestTicketApi(ApiResourceTests):
    basename = "ticket"
    filter_cases = [
        ({"priority": "1"}, lambda t: t.priority == 1),
        ({"is_open": "false"}, lambda t: not t.is_open),
        ({"q": "VPN"}, lambda t: "VPN" in t.title),
    ]

    def make_object(self, organisation: Any) -> Ticket:
        n = Ticket.objects.count()
        ticket = make_ticket(
            organisation=organisation,
            title="VPN down" if n % 2 else "Printer jammed",
            impact=1 + n % 3,
            urgency=1,
        )
        if n % 3 == 2:
            services.transition_ticket(
                actor=None, ticket=ticket, to="cancelled", values={"resolution": "Gone"}
            )
        return ticket

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        requester = make_person(organisation=organisation)
        return {"title": "New laptop", "requester": requester.pk, "impact": 2, "urgency": 2}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"title": f"Edited {AuditEntry.objects.count()}"}


class TestCommentApi(ApiResourceTests):
    basename = "ticket-comment"
    filter_cases = [({"is_public": "false"}, lambda c: not c.is_public)]

    def make_object(self, organisation: Any) -> Comment:
        ticket, agent = make_assigned_ticket(organisation=organisation)
        public = Comment.objects.count() % 2 == 0
        return services.add_comment(actor=agent, ticket=ticket, body="Noted.", is_public=public)

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        ticket = make_ticket(organisation=organisation)
        return {"ticket": ticket.pk, "body": "We are on it.", "is_public": True}


class TestTicketLinkApi(ApiResourceTests):
    basename = "ticket-link"

    def make_object(self, organisation: Any) -> TicketLink:
        a = make_ticket(organisation=organisation)
        b = make_ticket(organisation=organisation)
        return services.link_tickets(actor=make_agent(), source=a, target=b, link_type="related_to")

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        a = make_ticket(organisation=organisation)
        b = make_ticket(organisation=organisation)
        return {"source": a.pk, "target": b.pk, "link_type": "caused_by"}


class TestTimeEntryApi(ApiResourceTests):
    basename = "time-entry"
    filter_cases = [({"billable": "true"}, lambda e: e.billable)]

    def make_object(self, organisation: Any) -> TimeEntry:
        ticket, agent = make_assigned_ticket(organisation=organisation)
        billable = TimeEntry.objects.count() % 2 == 0
        return services.log_time(actor=agent, ticket=ticket, minutes=30, billable=billable)

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        ticket = make_ticket(organisation=organisation)
        return {"ticket": ticket.pk, "minutes": 15, "billable": False}


# --- specifics -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_transitions_through_the_api() -> None:
    ticket, agent = make_assigned_ticket()
    client = client_for(agent)
    url = reverse("ticket-transition", args=[ticket.pk])
    allowed = client.get(reverse("ticket-transitions", args=[ticket.pk])).json()
    assert {"to": "in_progress", "label": "Start work"}.items() <= allowed[1].items() or any(
        row["to"] == "in_progress" for row in allowed
    )
    moved = client.post(url, {"to": "in_progress", "version": 1}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["state"] == "in_progress"
    assert moved.json()["version"] == 2
    stale = client.post(url, {"to": "on_hold", "version": 1}, format="json")
    assert_problem(stale, 412)
    missing = client.post(url, {"to": "resolved"}, format="json")
    body = assert_problem(missing, 400)
    assert body["errors"][0]["field"] == "resolution"
    bad = client.post(url, {"to": "closed"}, format="json")
    assert_problem(bad, 400)
    assert Ticket.objects.get(pk=ticket.pk).state == "in_progress"


@pytest.mark.django_db
def test_a_requester_opens_and_follows_their_ticket_by_api() -> None:
    requester = make_person()
    client = client_for(requester)
    created = client.post(
        reverse("ticket-list"), {"title": "Cannot print", "description": "Error 0x1"}, format="json"
    )
    assert created.status_code == 201, created.content
    ticket = Ticket.objects.get(pk=created.json()["id"])
    assert ticket.requester == requester
    routed = client.post(
        reverse("ticket-list"), {"title": "Route", "team": make_team().pk}, format="json"
    )
    assert_problem(routed, 403)
    agent = make_agent()
    services.add_comment(actor=agent, ticket=ticket, body="internal", is_public=False)
    services.add_comment(actor=agent, ticket=ticket, body="Try again now.")
    comments = client.get(reverse("ticket-comment-list"), {"ticket": ticket.pk}).json()["results"]
    assert [c["body"] for c in comments] == ["Try again now."]
    note = client.post(
        reverse("ticket-comment-list"),
        {"ticket": ticket.pk, "body": "sneaky", "is_public": False},
        format="json",
    )
    assert_problem(note, 403)


@pytest.mark.django_db
def test_attachments_upload_and_download_safely(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket()
    client = client_for(ticket.requester)
    upload = SimpleUploadedFile("notes.txt", b"first line\n", content_type="text/html")
    created = client.post(
        reverse("ticket-attachment-list"), {"ticket": ticket.pk, "file": upload}, format="multipart"
    )
    assert created.status_code == 201, created.content
    assert created.json()["content_type"] == "text/plain"
    download = client.get(reverse("ticket-attachment-download", args=[created.json()["id"]]))
    assert download.status_code == 200
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment")
    assert "text/html" not in download["Content-Type"]
    body = b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert body == b"first line\n"
    disguised = SimpleUploadedFile("report.pdf", b"MZ\x90\x00" + b"\x00" * 300)
    refused = client.post(
        reverse("ticket-attachment-list"),
        {"ticket": ticket.pk, "file": disguised},
        format="multipart",
    )
    assert_problem(refused, 400)
    html = SimpleUploadedFile("page.txt", b"<!DOCTYPE html><html><script>alert(1)</script>")
    assert_problem(
        client.post(
            reverse("ticket-attachment-list"),
            {"ticket": ticket.pk, "file": html},
            format="multipart",
        ),
        400,
    )
    assert ticket.attachments.count() == 1


class TestAttachmentApi(ApiResourceTests):
    """Uploads are multipart; ``test_attachments_upload_and_download_safely`` covers them."""

    basename = "ticket-attachment"

    def make_object(self, organisation: Any) -> Any:
        ticket = make_ticket(organisation=organisation)
        return services.add_attachment(
            actor=ticket.requester,
            ticket=ticket,
            file=io.BytesIO(b"a log line\n"),
            filename="trace.log",
        )

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    @pytest.fixture(autouse=True)
    def _media(self, settings: Any, tmp_path: Any) -> None:
        settings.MEDIA_ROOT = tmp_path


class TestWatcherApi(ApiResourceTests):
    basename = "ticket-watcher"

    def make_object(self, organisation: Any) -> Any:
        ticket, agent = make_assigned_ticket(organisation=organisation)
        return services.add_watcher(actor=agent, ticket=ticket, person=agent)

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"ticket": make_ticket(organisation=organisation).pk}


class TestPriorityRuleApi(ApiResourceTests):
    basename = "priority-rule"
    organisation_scoped = False

    def make_object(self, organisation: Any) -> Any:
        from steward.tickets.models import PriorityRule

        return PriorityRule.objects.get(impact=2, urgency=2)

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"priority": 2 if obj.priority != 2 else 3}


@pytest.mark.django_db
def test_agents_read_the_matrix_but_cannot_change_it() -> None:
    from steward.tickets.models import PriorityRule

    cell = PriorityRule.objects.get(impact=1, urgency=1)
    client = client_for(make_agent())
    assert client.get(reverse("priority-rule-list")).status_code == 200
    refused = client.patch(
        reverse("priority-rule-detail", args=[cell.pk]), {"priority": 5}, format="json"
    )
    assert_problem(refused, 403)
    cell.refresh_from_db()
    assert cell.priority == 1
