"""The service level pages and the ticket page's panel."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.cmdb.tests.factories import make_service
from steward.core.models import AuditEntry
from steward.sla.models import Agreement, BusinessCalendar, Target
from steward.sla.tests.factories import (
    make_agreement,
    make_calendar,
    make_service_level_manager,
    make_target,
)
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_agreement_list_costs_the_same_for_many_rows(django_assert_max_num_queries) -> None:
    manager = make_service_level_manager()
    for _ in range(3):
        make_target(make_agreement(services=[make_service()]))
    client = client_for(manager)
    response = client.get(reverse("sla:agreement_list"))
    assert response.status_code == 200
    for _ in range(10):
        make_target(make_agreement(services=[make_service()]))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("sla:agreement_list"))
    assert response.content.count(b'href="/service-levels/') >= 13


def test_requester_gets_404_and_agent_reads_only() -> None:
    agreement = make_agreement()
    requester = make_person(organisation=make_organisation())
    assert client_for(requester).get(reverse("sla:agreement_list")).status_code in (403, 404)
    agent = client_for(make_agent())
    assert agent.get(reverse("sla:agreement_detail", args=[agreement.pk])).status_code == 200
    assert agent.get(reverse("sla:agreement_create")).status_code == 403
    assert agent.post(reverse("sla:agreement_edit", args=[agreement.pk]), {}).status_code == 403


def test_manager_creates_an_agreement_and_a_target_and_sees_errors() -> None:
    manager = make_service_level_manager()
    client = client_for(manager)
    calendar = make_calendar()
    customer = make_organisation()
    page = client.post(
        reverse("sla:agreement_create"),
        {
            "name": "Gold",
            "code": "gold",
            "kind": "sla",
            "customer": customer.pk,
            "calendar": calendar.pk,
            "valid_from": "2026-01-01",
            "change_policy": "from_opening",
            "is_active": "on",
        },
    )
    agreement = Agreement.objects.get(code="gold")
    assert page.status_code == 302 and page["Location"] == agreement.get_absolute_url()
    # an overlapping one comes back with the reason, and nothing is saved
    again = client.post(
        reverse("sla:agreement_create"),
        {
            "name": "Gold again",
            "code": "gold-2",
            "kind": "sla",
            "customer": customer.pk,
            "calendar": calendar.pk,
            "valid_from": "2026-06-01",
            "change_policy": "from_opening",
            "is_active": "on",
        },
    )
    assert again.status_code == 200
    assert b"Overlaps Gold (gold)" in again.content
    assert Agreement.objects.count() == 1
    # a target with a zero duration and an unknown state is refused, field by field
    url = reverse("sla:target_create", args=[agreement.pk])
    form = client.get(url)
    assert b"on_hold" in form.content  # the kind's defaults are offered
    bad = client.post(
        url,
        {
            "metric": "resolution",
            "ticket_kind": "tickets.ticket",
            "priority": "3",
            "duration": "0",
            "unit": "hours",
            "pause_states": "on_hold, dreaming",
            "stop_states": "resolved, closed",
        },
    )
    assert bad.status_code == 200
    assert b"more than zero" in bad.content and b"dreaming" in bad.content
    good = client.post(
        url,
        {
            "metric": "resolution",
            "ticket_kind": "tickets.ticket",
            "priority": "3",
            "duration": "2",
            "unit": "days",
            "pause_states": "on_hold",
            "stop_states": "resolved, closed",
            "cancel_states": "cancelled",
            "warning_thresholds": "50, 90",
            "warning_actions": ["notify"],
            "breach_actions": ["raise_priority"],
        },
    )
    assert good.status_code == 302
    target = Target.objects.get(agreement=agreement)
    assert target.warning_thresholds == [50, 90] and target.unit == "days"
    assert AuditEntry.objects.filter(action="target.created", actor=manager).exists()
    edit = client.post(
        reverse("sla:target_edit", args=[target.pk]),
        {
            "metric": "resolution",
            "ticket_kind": "tickets.ticket",
            "priority": "3",
            "duration": "3",
            "unit": "days",
            "pause_states": "on_hold",
            "stop_states": "resolved, closed",
            "cancel_states": "cancelled",
        },
    )
    assert edit.status_code == 302
    target.refresh_from_db()
    assert target.duration == 3


def test_calendar_without_hours_is_refused_on_the_page() -> None:
    client = client_for(make_service_level_manager())
    bad = client.post(reverse("sla:calendar_create"), {"name": "Never", "time_zone": "UTC"})
    assert bad.status_code == 200 and b"no working time" in bad.content
    assert not BusinessCalendar.objects.exists()
    good = client.post(
        reverse("sla:calendar_create"),
        {
            "name": "Desk",
            "time_zone": "Europe/Berlin",
            "day_0": "08:00-12:00, 13:00-17:00",
            "holiday_country": "de",
            "closures": "2026-12-24",
        },
    )
    assert good.status_code == 302
    calendar = BusinessCalendar.objects.get()
    assert calendar.hours == {"0": ["08:00-12:00", "13:00-17:00"]}
    assert calendar.holiday_country == "DE" and calendar.closures == ["2026-12-24"]
    listing = client.get(reverse("sla:calendar_list"))
    assert b"Mon 08:00-12:00, 13:00-17:00" in listing.content


def test_ticket_page_explains_its_clocks_to_staff_only(frozen) -> None:
    customer = make_organisation()
    make_target(make_agreement(customer=customer), name="Fix it")
    ticket = make_ticket(organisation=customer)
    url = ticket.get_absolute_url()
    page = client_for(make_agent()).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert 'data-testid="sla-panel"' in text
    assert "Fix it" in text and "2026-11-23 14:00" in text
    assert "Calendar" in text
    mine = client_for(ticket.requester).get(url)
    assert 'data-testid="sla-panel"' not in mine.content.decode()
