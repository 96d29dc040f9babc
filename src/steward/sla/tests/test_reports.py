"""The compliance report: met / breached per agreement, metric, priority and month; CSV; API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.tests.factories import make_agent, make_organisation, make_person, make_team
from steward.core.testing import assert_problem
from steward.sla.tests.factories import make_agreement, make_target
from steward.tickets import services as tickets
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def _resolved_after(frozen, customer, agent, team, hours: float) -> None:
    ticket = make_ticket(organisation=customer, team=team, assignee=agent)
    frozen.advance(hours=hours)
    ticket = tickets.transition_ticket(actor=agent, ticket=ticket, to="in_progress")
    tickets.transition_ticket(
        actor=agent, ticket=ticket, to="resolved", values={"resolution": "Ok."}
    )
    frozen.set(frozen.now.replace(hour=10, minute=0))


@pytest.fixture
def two_met_one_breached(frozen):
    customer = make_organisation(name="=Evil Corp")
    make_target(make_agreement(customer=customer, name="Gold"), duration=2)
    agent = make_agent()
    team = make_team(members=[agent])
    for hours in (1, 1.5, 3):
        _resolved_after(frozen, customer, agent, team, hours)
    return agent


def test_report_counts_met_and_breached_in_a_constant_number_of_queries(
    two_met_one_breached, django_assert_max_num_queries
) -> None:
    from datetime import date

    from steward.sla.services import reports

    since, until = reports.day_range(date(2026, 11, 1), date(2026, 11, 30))
    # a constant: the grouped query (with the percentiles on PostgreSQL; ranked apart on
    # SQLite), its savepoint, and the names of the agreements and targets found
    with django_assert_max_num_queries(6):
        rows = reports.compliance(actor=two_met_one_breached, since=since, until=until)
    assert [(r.agreement, r.metric, r.met, r.breached) for r in rows] == [
        ("Gold", "resolution", 2, 1)
    ]
    assert rows[0].average_minutes == 110  # (60 + 90 + 180) / 3
    assert (rows[0].median_minutes, rows[0].p90_minutes) == (90, 180)  # nearest rank of 3
    split = reports.compliance(actor=None, since=since, until=until, split=["customer"])
    assert split[0].customer == "=Evil Corp"
    (breach,) = reports.breaches(actor=None, since=since, until=until)
    assert (breach.over_minutes, breach.priority) == (60, 5)
    text = reports.as_csv(split)
    assert "'=Evil Corp" in text and ",2,1,0.6667,110,90,180" in text


def test_report_page_csv_and_api(two_met_one_breached) -> None:
    web = Client()
    web.force_login(two_met_one_breached)
    query = {"since": "2026-11-01", "until": "2026-11-30"}
    page = web.get(reverse("sla:compliance_report"), query)
    assert page.status_code == 200
    assert b"67 % met: 2 met, 1 breached." in page.content
    assert b"<meter" in page.content
    assert b"180 business minutes against 120 (2 business hours)" in page.content
    csv = web.get(reverse("sla:compliance_report"), {**query, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[0].startswith("agreement,agreement_code,metric")
    bad = web.get(reverse("sla:compliance_report"), {"since": "2026-11-30", "until": "2026-11-01"})
    assert b"The end is before the start." in bad.content
    api = APIClient()
    api.force_authenticate(two_met_one_breached)
    rows = api.get(reverse("sla-compliance"), query).json()
    assert rows[0]["met"] == 2 and rows[0]["breached"] == 1
    assert (rows[0]["median_minutes"], rows[0]["p90_minutes"]) == (90, 180)
    assert_problem(api.get(reverse("sla-compliance"), {"since": "x", "until": "2026-11-01"}), 400)
    (listed,) = api.get(reverse("sla-breaches"), query).json()
    assert listed["over_minutes"] == 60 and "against 120" in listed["reason"]
    requester = APIClient()
    requester.force_authenticate(make_person())
    assert_problem(requester.get(reverse("sla-compliance"), query), 403)
    assert_problem(requester.get(reverse("sla-breaches"), query), 403)
