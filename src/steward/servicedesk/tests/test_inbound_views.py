"""The quarantine pages and mailbox administration: who sees what, and nothing renders mail."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_admin, make_agent, make_person
from steward.core.models import AuditEntry
from steward.servicedesk import inbound
from steward.servicedesk.models.inbound import InboundMessage, Mailbox
from steward.servicedesk.tests.inbound_factories import (
    make_mailbox,
    make_raw,
    ticket_of,
)
from steward.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _client(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _held(**kwargs: object) -> InboundMessage:
    mailbox = make_mailbox(unknown_sender="reject")
    return inbound.ingest(mailbox=mailbox, raw=make_raw(**kwargs))  # type: ignore[arg-type]


def test_agent_lists_quarantined_mail_within_a_query_budget(
    django_assert_max_num_queries: object,
) -> None:
    agent = make_agent()
    client = _client(agent)
    first = _held(sender="one@unknown.example")
    client.get(reverse("servicedesk:inboundmessage_list"))  # warm the session and permissions
    for n in range(15):
        _held(sender=f"x{n}@unknown.example")
    with django_assert_max_num_queries(12):  # type: ignore[operator]
        page = client.get(reverse("servicedesk:inboundmessage_list"))
    assert page.status_code == 200
    assert first in page.context["page"].object_list
    assert len(page.context["page"].object_list) == 16
    # filters narrow it
    filtered = client.get(reverse("servicedesk:inboundmessage_list"), {"reason": "auto_reply"})
    assert list(filtered.context["page"].object_list) == []


def test_requester_and_agent_without_admin_get_404(client: Client, settings: Any) -> None:
    # each page refuses by itself, whether or not the portal gate turns requesters away first
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}
    held = _held()
    mailbox = held.mailbox
    assert mailbox is not None
    requester = make_person()
    client.force_login(requester)
    for url in (
        reverse("servicedesk:inboundmessage_list"),
        held.get_absolute_url(),
        reverse("servicedesk:inboundmessage_raw", args=[held.pk]),
        reverse("servicedesk:mailbox_list"),
        mailbox.get_absolute_url(),
    ):
        assert client.get(url).status_code == 404, url
    response = client.post(
        reverse("servicedesk:inboundmessage_discard", args=[held.pk]), {"note": "mine"}
    )
    assert response.status_code == 404
    held.refresh_from_db()
    assert held.status == "quarantined"
    # agents review mail but do not administer mailboxes
    client.force_login(make_agent())
    assert client.get(reverse("servicedesk:mailbox_list")).status_code == 404
    assert client.get(mailbox.get_absolute_url()).status_code == 404
    assert client.get(reverse("servicedesk:mailbox_create")).status_code in (403, 404)


def test_detail_shows_text_and_headers_escaped_never_html() -> None:
    held = _held(
        subject="<img src=x onerror=alert(1)>",
        html='<p>Hi</p><script>alert("EVIL")</script><b onmouseover="x()">bold</b>',
        headers={"X-Test": "<script>alert(2)</script>"},
    )
    page = _client(make_agent()).get(held.get_absolute_url())
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script>alert" not in html and "onmouseover" not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html  # the header, as text
    assert "<b onmouseover" not in html and "EVIL" not in html
    assert "Hi" in html


def test_raw_download_is_an_attachment_with_nosniff_and_audited() -> None:
    held = _held()
    agent = make_agent()
    response = _client(agent).get(reverse("servicedesk:inboundmessage_raw", args=[held.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="message-{held.pk}.eml"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "application/octet-stream"
    assert response.content == held.raw_bytes()
    assert AuditEntry.objects.filter(action="inbound_message.downloaded", actor=agent).exists()


def test_release_and_discard_from_the_page() -> None:
    agent = make_agent()
    client = _client(agent)
    held = _held(sender="new@unknown.example")
    # releasing without creating the requester fails on the form, nothing changes
    url = reverse("servicedesk:inboundmessage_release", args=[held.pk])
    refused = client.post(url, {})
    assert refused.status_code == 400
    assert "No person has the address" in refused.content.decode()
    held.refresh_from_db()
    assert held.status == "quarantined"
    # asking for the requester opens the incident
    done = client.post(url, {"create_requester": "on"})
    assert done.status_code == 302
    held.refresh_from_db()
    assert held.status == "released" and held.ticket is not None
    # discarding another needs a note
    other = _held(sender="spam@unknown.example")
    discard = reverse("servicedesk:inboundmessage_discard", args=[other.pk])
    assert client.post(discard, {"note": ""}).status_code == 400
    assert client.post(discard, {"note": "Spam"}).status_code == 302
    other.refresh_from_db()
    assert (other.status, other.review_note) == ("discarded", "Spam")


def test_release_onto_a_ticket_number_from_the_page() -> None:
    agent = make_agent()
    alice = make_person(email="alice@customer.example")
    mailbox = make_mailbox()
    first = inbound.ingest(mailbox=mailbox, raw=make_raw())
    held = inbound.ingest(
        mailbox=mailbox, raw=make_raw(headers={"Auto-Submitted": "auto-replied"}, body="Later")
    )
    assert held.status == "quarantined"
    ticket = Ticket.objects.get(pk=ticket_of(first))
    url = reverse("servicedesk:inboundmessage_release", args=[held.pk])
    assert _client(agent).post(url, {"ticket": "INC9999999"}).status_code == 400
    assert _client(agent).post(url, {"ticket": ticket.number}).status_code == 302
    held.refresh_from_db()
    assert held.ticket_id == ticket.pk and held.comment is not None
    assert held.comment.author == alice


def test_administrator_creates_edits_and_tests_a_mailbox() -> None:
    admin = make_admin()
    client = _client(admin)
    data = {
        "name": "IT desk",
        "address": "it@steward.example",
        "host": "127.0.0.1",
        "port": "1",
        "tls": "none",
        "username": "it",
        "password": "imap-password-1",
        "folder": "INBOX",
        "unknown_sender": "create",
        "is_enabled": "on",
    }
    response = client.post(reverse("servicedesk:mailbox_create"), data)
    assert response.status_code == 302, response.content
    mailbox = Mailbox.objects.get(name="IT desk")
    assert mailbox.password == "imap-password-1"
    # the password is never shown, and left empty it stays
    page = client.get(reverse("servicedesk:mailbox_edit", args=[mailbox.pk]))
    assert "imap-password-1" not in page.content.decode()
    assert "imap-password-1" not in client.get(mailbox.get_absolute_url()).content.decode()
    edited = client.post(
        reverse("servicedesk:mailbox_edit", args=[mailbox.pk]),
        {**data, "password": "", "folder": "Support"},
    )
    assert edited.status_code == 302
    mailbox.refresh_from_db()
    assert (mailbox.folder, mailbox.password) == ("Support", "imap-password-1")
    # a duplicate name is a form error
    again = client.post(reverse("servicedesk:mailbox_create"), data)
    assert again.status_code == 200 and "already exists" in again.content.decode()
    # testing the (unreachable) connection reports the failure
    tested = client.post(reverse("servicedesk:mailbox_test", args=[mailbox.pk]), follow=True)
    assert "The connection failed" in tested.content.decode()
    assert AuditEntry.objects.filter(action="mailbox.updated", actor=admin).exists()


def test_navigation_shows_the_quarantine_to_agents_only() -> None:
    from steward.core.navigation import menu_for

    def labels(person: Person) -> set[str]:
        return {item["label"] for group in menu_for(person) for item in group["items"]}

    assert "Mail quarantine" in labels(make_agent())
    assert "Mail quarantine" not in labels(make_person())
    assert "Mailboxes" in labels(make_admin())
    assert "Mailboxes" not in labels(make_agent())
