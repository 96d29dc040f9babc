"""The SLA API: calendars, agreements, targets, clocks with explain and replay."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.cmdb.tests.factories import make_service
from steward.core.testing import ApiResourceTests, assert_problem
from steward.sla.models import Agreement, BusinessCalendar, SlaClock, Target
from steward.sla.tests.factories import (
    OFFICE_HOURS,
    make_agreement,
    make_calendar,
    make_service_level_manager,
    make_target,
)
from steward.tickets.tests.factories import make_ticket

_seq = itertools.count(1)


class TestBusinessCalendarApi(ApiResourceTests):
    basename = "business-calendar"
    organisation_scoped = False

    def make_object(self, organisation: Any) -> BusinessCalendar:
        return make_calendar()

    def allowed_user(self, organisation: Any) -> Person:
        return make_service_level_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "name": f"Desk {next(_seq)}",
            "time_zone": "Europe/Berlin",
            "hours": OFFICE_HOURS,
            "holiday_country": "DE",
            "closures": ["2026-12-24"],
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"name": f"Renamed {next(_seq)}"}


class TestAgreementApi(ApiResourceTests):
    basename = "agreement"
    filter_cases = [({"kind": "sla"}, lambda a: a.kind == "sla")]

    def make_object(self, organisation: Any) -> Agreement:
        return make_agreement(customer=organisation, services=[make_service()])

    def allowed_user(self, organisation: Any) -> Person:
        return make_service_level_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "name": "Gold",
            "code": f"gold-{next(_seq)}",
            "kind": "sla",
            "customer": make_organisation().pk,
            "calendar": make_calendar().pk,
            "valid_from": "2026-01-01",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": f"Reviewed {next(_seq)}"}


class TestTargetApi(ApiResourceTests):
    basename = "sla-target"
    filter_cases = [({"priority": "1"}, lambda t: t.priority == 1)]

    def make_object(self, organisation: Any) -> Target:
        n = Target.objects.count()
        agreement = make_agreement(customer=organisation, services=[make_service()])
        return make_target(agreement, priority=1 + n % 3)

    def allowed_user(self, organisation: Any) -> Person:
        return make_service_level_manager()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "agreement": make_agreement(customer=organisation, services=[make_service()]).pk,
            "metric": "first_response",
            "ticket_kind": "tickets.ticket",
            "priority": 2,
            "duration": 30,
            "unit": "minutes",
            "warning_thresholds": [75],
            "warning_actions": ["notify"],
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"duration": obj.duration + 1}


class TestSlaClockApi(ApiResourceTests):
    basename = "sla-clock"
    filter_cases = [({"state": "running"}, lambda c: c.state == "running")]

    def make_object(self, organisation: Any) -> SlaClock:
        agreement = Agreement.objects.filter(customer=organisation).first()
        if agreement is None:
            agreement = make_agreement(customer=organisation)
            make_target(agreement)
        ticket = make_ticket(organisation=organisation)
        if SlaClock.objects.count() % 2:
            from steward.tickets import services as tickets

            tickets.transition_ticket(
                actor=None, ticket=ticket, to="cancelled", values={"resolution": "Not needed."}
            )
        return SlaClock.objects.get(ticket=ticket)

    def allowed_user(self, organisation: Any) -> Person:
        return make_agent()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)


@pytest.mark.django_db
def test_bad_target_is_a_problem_with_field_errors() -> None:
    manager = make_service_level_manager()
    client = APIClient()
    client.force_authenticate(manager)
    agreement = make_agreement()
    response = client.post(
        reverse("sla-target-list"),
        {
            "agreement": agreement.pk,
            "metric": "resolution",
            "ticket_kind": "tickets.ticket",
            "priority": 3,
            "duration": 0,
            "pause_states": ["nowhere"],
        },
        format="json",
    )
    body = assert_problem(response, 400)
    fields = {e["field"] for e in body["errors"]}
    assert {"duration", "pause_states"} <= fields
    assert not Target.objects.exists()


@pytest.mark.django_db
def test_overlapping_agreement_is_refused_over_the_api() -> None:
    client = APIClient()
    client.force_authenticate(make_service_level_manager())
    first = make_agreement(valid_from=date(2026, 1, 1))
    response = client.post(
        reverse("agreement-list"),
        {
            "name": "Again",
            "code": "again",
            "kind": "sla",
            "customer": first.customer_id,
            "calendar": first.calendar_id,
            "valid_from": "2026-03-01",
        },
        format="json",
    )
    body = assert_problem(response, 400)
    assert first.code in str(body)


@pytest.mark.django_db
def test_clock_explains_itself_and_replays(frozen) -> None:
    customer = make_organisation()
    calendar = make_calendar(holiday_country="DE")
    target = make_target(
        make_agreement(customer=customer, calendar=calendar), duration=2, unit="days"
    )
    ticket = make_ticket(organisation=customer)
    clock = SlaClock.objects.get(ticket=ticket, target=target)
    client = APIClient()
    client.force_authenticate(make_agent())
    explained = client.get(reverse("sla-clock-explain", args=[clock.pk]))
    assert explained.status_code == 200, explained.content
    body = explained.json()
    assert body["length_minutes"] == 16 * 60
    assert any("business day" in line for line in body["lines"])
    assert body["due_at"].startswith("2026-11-25T10:00")
    replay = client.get(reverse("sla-clock-replay", args=[clock.pk]))
    assert replay.json()[0]["agrees"] is True
    # a requester sees no clocks at all
    requester = APIClient()
    requester.force_authenticate(ticket.requester)
    assert_problem(requester.get(reverse("sla-clock-explain", args=[clock.pk])), 404)
