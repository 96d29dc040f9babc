"""API of e-mail in: mailboxes for administrators, inbound messages for agents."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.tests.factories import make_admin, make_agent, make_person
from steward.core.models import AuditEntry
from steward.core.testing import ApiResourceTests, assert_problem
from steward.servicedesk import inbound
from steward.servicedesk.models.inbound import InboundMessage, Mailbox
from steward.servicedesk.tests.inbound_factories import make_mailbox, make_raw

_seq = itertools.count(1)


class TestMailboxApi(ApiResourceTests):
    basename = "mailbox"
    organisation_scoped = False
    filter_cases = [
        ({"is_enabled": "true"}, lambda m: m.is_enabled),
        ({"is_enabled": "false"}, lambda m: not m.is_enabled),
    ]

    def make_object(self, organisation: Any) -> Mailbox:
        return make_mailbox(is_enabled=next(_seq) % 2 == 0)

    def allowed_user(self, organisation: Any) -> Any:
        return make_admin(organisation=organisation)

    def denied_user(self, organisation: Any) -> Any:
        return make_agent(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        n = next(_seq)
        return {
            "name": f"API desk {n}",
            "address": f"api{n}@steward.example",
            "host": "imap.steward.example",
            "username": "desk",
            "password": "secret-imap-pass",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"folder": f"Support{next(_seq)}"}


class TestInboundMessageApi(ApiResourceTests):
    basename = "inbound-message"
    organisation_scoped = False
    filter_cases = [
        ({"status": "quarantined"}, lambda m: m.status == "quarantined"),
        ({"reason": "unknown_sender"}, lambda m: m.reason == "unknown_sender"),
        ({"reason": "auto_reply"}, lambda m: m.reason == "auto_reply"),
    ]

    def make_object(self, organisation: Any) -> InboundMessage:
        n = next(_seq)
        headers = {"Auto-Submitted": "auto-replied"} if n % 2 else {}
        mailbox = make_mailbox(unknown_sender="reject")
        return inbound.ingest(
            mailbox=mailbox, raw=make_raw(sender=f"s{n}@unknown.example", headers=headers)
        )

    def allowed_user(self, organisation: Any) -> Any:
        return make_agent(organisation=organisation)

    def denied_user(self, organisation: Any) -> Any:
        return make_person(organisation=organisation)


def _client(person: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


@pytest.mark.django_db
def test_mailbox_password_is_write_only() -> None:
    admin = make_admin()
    mailbox = make_mailbox(password="never-shown-pass")
    detail = _client(admin).get(reverse("mailbox-detail", args=[mailbox.pk]))
    assert detail.status_code == 200
    assert "password" not in detail.json() and detail.json()["has_password"] is True
    assert "never-shown-pass" not in detail.content.decode()
    listed = _client(admin).get(reverse("mailbox-list"))
    assert "never-shown-pass" not in listed.content.decode()


@pytest.mark.django_db
def test_release_and_discard_actions() -> None:
    agent = make_agent()
    client = _client(agent)
    mailbox = make_mailbox(unknown_sender="reject")
    held = inbound.ingest(mailbox=mailbox, raw=make_raw(sender="who@unknown.example"))
    url = reverse("inbound-message-release", args=[held.pk])
    # still unknown: a 400 problem, nothing changed
    body = assert_problem(client.post(url, {}, format="json"), 400)
    assert "No person has the address" in str(body)
    held.refresh_from_db()
    assert held.status == "quarantined"
    done = client.post(url, {"create_requester": True}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "released" and done.json()["ticket_number"]
    # discard needs a note; a released message cannot be discarded
    other = inbound.ingest(mailbox=mailbox, raw=make_raw(sender="junk@unknown.example"))
    discard = reverse("inbound-message-discard", args=[other.pk])
    assert_problem(client.post(discard, {}, format="json"), 400)
    assert client.post(discard, {"note": "Junk"}, format="json").json()["status"] == "discarded"
    assert_problem(
        client.post(
            reverse("inbound-message-discard", args=[held.pk]), {"note": "x"}, format="json"
        ),
        400,
    )
    assert AuditEntry.objects.filter(action="inbound_message.discarded", actor=agent).count() == 1


@pytest.mark.django_db
def test_requester_cannot_release_through_the_api() -> None:
    mailbox = make_mailbox(unknown_sender="reject")
    held = inbound.ingest(mailbox=mailbox, raw=make_raw(sender="x@unknown.example"))
    client = _client(make_person())
    assert_problem(client.post(reverse("inbound-message-release", args=[held.pk]), {}), 404)
    held.refresh_from_db()
    assert held.status == "quarantined"
