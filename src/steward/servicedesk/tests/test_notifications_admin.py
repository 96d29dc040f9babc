"""Administering notifications: templates (UI with preview, API) and the outbound mail log.

Only administrators edit templates and read outbound mail (auditors read); requesters and
agents get nothing: empty lists and 404s on the API, 404 on the pages.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_auditor, make_person
from steward.core.models import AuditEntry
from steward.core.testing import ApiResourceTests, assert_problem
from steward.servicedesk.models.outbound import NotificationTemplate, OutboundEmail
from steward.servicedesk.notify import services as notify
from steward.tickets.tests.factories import make_ticket

_seq = itertools.count(1)
BROKEN = "Hello {% if recipient_name %}"


def make_admin() -> Person:
    return make_person(roles=["administrator"])


def make_outbound(organisation: Any = None, **overrides: Any) -> OutboundEmail:
    ticket = make_ticket(organisation=organisation)
    row = notify.queue_notification(
        ticket=ticket,
        event="created",
        recipient=notify.Recipient.of(ticket.requester),
        key=f"test:{next(_seq)}",
        actor_name="Steward",
    )
    assert row is not None
    if overrides:
        OutboundEmail.objects.filter(pk=row.pk).update(**overrides)
        row.refresh_from_db()
    return row


def api(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def web(user: Person) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestNotificationTemplateApi(ApiResourceTests):
    basename = "notification-template"
    organisation_scoped = False
    filter_cases = [
        ({"event": "closed"}, lambda t: t.event == "closed"),
        ({"is_enabled": "false"}, lambda t: not t.is_enabled),
    ]

    def make_object(self, organisation: Any) -> NotificationTemplate:
        n = next(_seq)
        return NotificationTemplate.objects.create(
            event=["created", "closed"][n % 2],
            ticket_kind=f"tests.kind{n}",
            subject="[{{ number }}] {{ title }}",
            body="Hello {{ recipient_name }}",
            is_enabled=bool(n % 3),
        )

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_agent()

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "event": "assigned",
            "ticket_kind": "incidents.incident",
            "subject": "Incident {{ number }} is yours",
            "body": "{{ title }}",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"subject": f"Changed {next(_seq)}: {{{{ title }}}}"}


class TestOutboundEmailApi(ApiResourceTests):
    basename = "outbound-email"
    filter_cases: ClassVar[list[tuple[dict[str, Any], Callable[[Any], bool]]]] = [
        ({"status": "failed"}, lambda e: e.status == "failed"),
        ({"status": ["queued", "sent"]}, lambda e: e.status in {"queued", "sent"}),
    ]

    def make_object(self, organisation: Any) -> OutboundEmail:
        status = ["queued", "sent", "failed"][next(_seq) % 3]
        return make_outbound(organisation, status=status)

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_agent()


@pytest.mark.django_db
def test_shipped_templates_exist_after_migrate() -> None:
    events = set(
        NotificationTemplate.objects.filter(ticket_kind="").values_list("event", flat=True)
    )
    assert events == {
        "created",
        "assigned",
        "commented",
        "resolved",
        "closed",
        "sla_warning",
        "sla_breach",
        "approval_requested",
    }


@pytest.mark.django_db
def test_requesters_and_agents_read_no_templates_nor_outbound_mail() -> None:
    row = make_outbound()
    template = NotificationTemplate.objects.first()
    assert template is not None
    for user in (row.ticket.requester, make_agent()):
        client = api(user)
        assert client.get(reverse("notification-template-list")).json()["results"] == []
        assert client.get(reverse("outbound-email-list")).json()["results"] == []
        assert_problem(client.get(reverse("notification-template-detail", args=[template.pk])), 404)
        assert_problem(client.get(reverse("outbound-email-detail", args=[row.pk])), 404)
        assert_problem(
            client.post(reverse("outbound-email-send-again", args=[row.pk]), {}, format="json"),
            404,
        )
        assert_problem(
            client.post(
                reverse("notification-template-list"),
                {"event": "created", "ticket_kind": "tickets.ticket", "subject": "x", "body": "y"},
                format="json",
            ),
            403,
        )
    # and outbound mail is read-only for everybody
    assert_problem(
        api(make_admin()).patch(
            reverse("outbound-email-detail", args=[row.pk]), {"subject": "x"}, format="json"
        ),
        405,
    )


@pytest.mark.django_db
def test_a_broken_template_is_a_400_problem_and_changes_nothing() -> None:
    template = notify.template_for("created", "tickets.ticket")
    before = template.subject
    client = api(make_admin())
    url = reverse("notification-template-detail", args=[template.pk])
    body = assert_problem(client.patch(url, {"subject": BROKEN}, format="json"), 400)
    assert body["errors"][0]["field"] == "subject"
    assert "does not compile" in body["errors"][0]["message"]
    template.refresh_from_db()
    assert template.subject == before
    created = client.post(
        reverse("notification-template-list"),
        {"event": "closed", "ticket_kind": "tickets.ticket", "subject": "ok", "body": BROKEN},
        format="json",
    )
    assert assert_problem(created, 400)["errors"][0]["field"] == "body"
    assert not NotificationTemplate.objects.filter(ticket_kind="tickets.ticket").exists()


@pytest.mark.django_db
def test_outbound_mail_filters_by_ticket_and_sends_failed_ones_again() -> None:
    mine, other = make_outbound(status="failed"), make_outbound()
    client = api(make_admin())
    listed = client.get(reverse("outbound-email-list"), {"ticket": mine.ticket_id})
    assert [row["id"] for row in listed.json()["results"]] == [mine.pk]
    assert listed.json()["results"][0]["ticket_number"] == mine.ticket.number
    by_number = client.get(reverse("outbound-email-list"), {"ticket_number": other.ticket.number})
    assert [row["id"] for row in by_number.json()["results"]] == [other.pk]
    again = client.post(reverse("outbound-email-send-again", args=[mine.pk]), {}, format="json")
    assert again.status_code == 200, again.content
    assert again.json()["status"] == "queued"
    assert AuditEntry.objects.filter(action="outbound_email.requeued").count() == 1
    # a queued one cannot be "sent again"
    body = assert_problem(
        client.post(reverse("outbound-email-send-again", args=[other.pk]), {}, format="json"), 400
    )
    assert body["errors"][0]["field"] == "status"


# --- pages ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_editing_a_template_shows_compile_errors_previews_and_saves() -> None:
    admin = make_admin()
    client = web(admin)
    template = notify.template_for("resolved", "tickets.ticket")
    url = reverse("notifications:template_edit", args=[template.pk])
    assert client.get(url).status_code == 200
    # a template that does not compile is a form error; nothing changes
    response = client.post(url, {"subject": BROKEN, "body": "x", "is_enabled": "on"})
    assert response.status_code == 200
    assert "does not compile" in response.content.decode()
    template.refresh_from_db()
    assert template.subject != BROKEN
    # a preview renders the sample ticket without saving
    response = client.post(
        url,
        {"subject": "Done: {{ title }}", "body": "Hi **{{ recipient_name }}**", "preview": "1"},
    )
    page = response.content.decode()
    assert 'data-testid="template-preview"' in page
    assert "Done: Printer on floor 3 is jammed" in page
    assert "<strong>Ada Lovelace</strong>" in page
    template.refresh_from_db()
    assert template.subject != "Done: {{ title }}"
    # saving stores it and audits the change
    response = client.post(
        url, {"subject": "Done: {{ title }}", "body": "Hi {{ recipient_name }}", "is_enabled": ""}
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert (template.subject, template.is_enabled) == ("Done: {{ title }}", False)
    entry = AuditEntry.objects.get(action="notification_template.updated")
    assert entry.actor_id == admin.pk
    assert entry.changes["is_enabled"] == [True, False]


@pytest.mark.django_db
def test_adding_a_template_for_one_kind() -> None:
    client = web(make_admin())
    response = client.post(
        reverse("notifications:template_create"),
        {
            "event": "commented",
            "ticket_kind": "incidents.incident",
            "subject": "Reply on {{ number }}",
            "body": "{{ comment }}",
            "is_enabled": "on",
        },
    )
    assert response.status_code == 302
    assert NotificationTemplate.objects.filter(
        event="commented", ticket_kind="incidents.incident"
    ).exists()
    list_page = client.get(reverse("notifications:template_list")).content.decode()
    assert "incidents.incident" in list_page


@pytest.mark.django_db
def test_pages_are_404_for_requesters_and_agents_and_read_only_for_auditors(
    settings: Any,
) -> None:
    # each page refuses by itself, whether or not the portal gate turns requesters away first
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}
    row = make_outbound(status="failed")
    template = NotificationTemplate.objects.first()
    assert template is not None
    urls = [
        reverse("notifications:template_list"),
        reverse("notifications:template_edit", args=[template.pk]),
        reverse("notifications:outbound_list"),
        reverse("notifications:outbound_detail", args=[row.pk]),
    ]
    for user in (row.ticket.requester, make_agent()):
        client = web(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user, url)
        send_again = reverse("notifications:outbound_send_again", args=[row.pk])
        assert client.post(send_again).status_code == 404
    auditor = web(make_auditor())
    assert auditor.get(reverse("notifications:outbound_list")).status_code == 200
    detail = auditor.get(reverse("notifications:outbound_detail", args=[row.pk]))
    assert 'data-testid="send-again"' not in detail.content.decode()
    assert (
        auditor.get(reverse("notifications:template_edit", args=[template.pk])).status_code == 403
    )
    row.refresh_from_db()
    assert row.status == "failed"


@pytest.mark.django_db
def test_outbound_list_shows_status_and_stuck_rows_within_a_query_budget(
    django_assert_max_num_queries: Any,
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    admin = make_admin()
    client = web(admin)
    for _ in range(3):
        make_outbound(status="failed", attempts=6, last_error="554 5.7.1 Rejected")
    make_outbound(status="sending", claimed_at=timezone.now() - timedelta(hours=2))
    client.get(reverse("notifications:outbound_list"))  # warm the session
    with django_assert_max_num_queries(11):
        response = client.get(reverse("notifications:outbound_list"))
    page = response.content.decode()
    assert page.count("554 5.7.1 Rejected") == 3
    assert 'data-testid="stuck-warning"' in page
    assert "(stuck)" in page
    for _ in range(10):
        make_outbound()
    with django_assert_max_num_queries(11):  # as many with 14 rows as with 4
        client.get(reverse("notifications:outbound_list"))


@pytest.mark.django_db
def test_send_again_from_the_page() -> None:
    admin = make_admin()
    row = make_outbound(status="failed", attempts=6)
    client = web(admin)
    detail = client.get(reverse("notifications:outbound_detail", args=[row.pk])).content.decode()
    assert 'data-testid="send-again"' in detail
    response = client.post(reverse("notifications:outbound_send_again", args=[row.pk]))
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 0)


@pytest.mark.django_db
def test_administration_menu_lists_the_pages_for_administrators_only() -> None:
    assert "Outbound mail" in web(make_admin()).get("/").content.decode()
    assert "Notification templates" not in web(make_agent()).get("/").content.decode()
