"""The breach sweep: thresholds act once, in order, with their actions; concurrency safe."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from django.db import connection, connections

from steward.accounts.tests.factories import make_agent, make_organisation, make_person, make_team
from steward.cmdb.tests.factories import make_service
from steward.core.models import AuditEntry
from steward.incidents.tests.factories import make_incident
from steward.servicedesk.models.outbound import OutboundEmail
from steward.sla import services
from steward.sla.models import SlaClock
from steward.sla.tests.factories import make_agreement, make_target
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def _ticket_with_clock(**target: object):
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    made = make_target(agreement, **target)
    agent = make_agent()
    team = make_team(lead=make_agent(), members=[agent])
    ticket = make_ticket(organisation=customer, team=team, assignee=agent)
    return made, ticket


def reached(action: str) -> list[int]:
    return [e.changes["threshold"] for e in AuditEntry.objects.filter(action=action).order_by("id")]


def test_each_threshold_acts_once_and_in_order(frozen, settings) -> None:
    settings.STEWARD = {"MAIL_ENABLED": True}
    # given a 4-hour target warning at 50 and 75 % (Monday 10:00, due 14:00)
    _, ticket = _ticket_with_clock(
        warning_thresholds=[50, 75], warning_actions=["notify"], breach_actions=["notify"]
    )
    clock = SlaClock.objects.get(ticket=ticket)
    assert clock.next_check_at == at("2026-11-23T12:00:00")
    # when the sweep runs before anything is due, nothing happens
    assert services.sweep(at=at("2026-11-23T11:59:00")).checked == 0
    # when it runs at 13:30, the 50 % and 75 % warnings act, once each
    first = services.sweep(at=at("2026-11-23T13:30:00"))
    again = services.sweep(at=at("2026-11-23T13:30:00"))
    assert (first.warnings, again.warnings) == (2, 0)
    assert reached("slaclock.warning_reached") == [50, 75]
    clock.refresh_from_db()
    assert clock.last_threshold == 75 and clock.is_warned and not clock.is_breached
    assert clock.next_check_at == at("2026-11-23T14:00:00")
    # the assignee and the team lead were mailed once about the warning
    warned = OutboundEmail.objects.filter(event="sla_warning")
    assert {e.recipient_address for e in warned} == {
        ticket.assignee.email,
        ticket.team.lead.email,
    }
    # at the due instant the breach acts, once
    assert services.sweep(at=at("2026-11-23T14:00:00")).breaches == 1
    assert services.sweep(at=at("2026-11-23T18:00:00")).breaches == 0
    clock.refresh_from_db()
    assert clock.is_breached and clock.next_check_at is None
    assert OutboundEmail.objects.filter(event="sla_breach").count() == 2


def test_paused_clock_is_not_swept(frozen) -> None:
    _, ticket = _ticket_with_clock(warning_thresholds=[50], warning_actions=["notify"])
    from steward.tickets import services as tickets

    ticket = tickets.transition_ticket(actor=None, ticket=ticket, to="in_progress")
    frozen.advance(minutes=30)
    tickets.transition_ticket(actor=None, ticket=ticket, to="on_hold")
    clock = SlaClock.objects.get(ticket=ticket)
    assert clock.next_check_at is None
    assert services.sweep(at=at("2026-11-30T09:00:00")).checked == 0


def test_breach_raises_priority_and_reassigns_to_the_lead(frozen) -> None:
    _, ticket = _ticket_with_clock(breach_actions=["raise_priority", "reassign_to_lead"])
    # a priority-4 target for the raised ticket, so the change is visible in clocks too
    services.sweep(at=at("2026-11-23T15:00:00"))
    ticket.refresh_from_db()
    assert ticket.urgency == 2 and ticket.priority == 4
    assert ticket.assignee == ticket.team.lead
    entry = AuditEntry.objects.get(action="slaclock.breach_reached")
    assert [a["action"] for a in entry.changes["actions"]] == ["raise_priority", "reassign_to_lead"]


def test_breach_escalates_an_incident_to_the_next_line(frozen) -> None:
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    make_target(agreement, ticket_kind="incidents.incident", breach_actions=["escalate"])
    second = make_team(support_line=2, members=[make_agent()])
    first = make_team(members=[make_agent()])
    incident = make_incident(
        requester=make_person(organisation=customer), organisation=customer, team=first
    )
    assert SlaClock.objects.filter(ticket=incident).count() == 1
    services.sweep(at=at("2026-11-23T15:00:00"))
    incident.refresh_from_db()
    assert incident.team == second
    entry = AuditEntry.objects.get(action="slaclock.breach_reached")
    assert "escalated" in entry.changes["actions"][0]["result"]


def test_service_owner_is_told_about_a_breach(frozen, settings) -> None:
    settings.STEWARD = {"MAIL_ENABLED": True}
    owner = make_agent()
    service = make_service(owner=owner)
    customer = make_organisation()
    agreement = make_agreement(customer=customer, services=[service])
    make_target(agreement, breach_actions=["notify"])
    ticket = make_ticket(organisation=customer, service=service)
    services.sweep(at=at("2026-11-23T15:00:00"))
    breach = OutboundEmail.objects.filter(ticket=ticket, event="sla_breach")
    assert list(breach.values_list("recipient_address", flat=True)) == [owner.email]


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_act_once(frozen) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks between connections need PostgreSQL")
    # given 30 clocks past their 50 % threshold
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    make_target(agreement, warning_thresholds=[50], warning_actions=["raise_priority"])
    tickets = [make_ticket(organisation=customer) for _ in range(30)]
    barrier = threading.Barrier(2)
    results = []

    def run() -> None:
        try:
            barrier.wait()
            results.append(services.sweep(at=at("2026-11-23T13:00:00"), batch=7))
        finally:
            connections.close_all()

    # when two workers sweep at the same moment
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then each clock's threshold acted exactly once, between them
    assert sum(r.warnings for r in results) == 30
    entries = AuditEntry.objects.filter(action="slaclock.warning_reached")
    assert entries.count() == 30
    assert len({e.object_id for e in entries}) == 30
    urgencies = {
        t.pk: t.urgency for t in type(tickets[0]).objects.filter(pk__in=[t.pk for t in tickets])
    }
    assert set(urgencies.values()) == {2}


def test_sweep_reads_only_what_is_due(frozen, django_assert_max_num_queries) -> None:
    _, ticket = _ticket_with_clock()
    for _ in range(5):
        _ticket_with_clock()
    with django_assert_max_num_queries(4):
        assert services.sweep(at=at("2026-11-23T10:30:00")).checked == 0
    assert SlaClock.objects.count() == 6
    assert timedelta(0) == SlaClock.objects.get(ticket=ticket).elapsed


def test_a_breached_ola_flags_the_sla_it_supports(frozen) -> None:
    # given an SLA (8 h) and an OLA of the ticket's team (2 h) supporting it
    customer = make_organisation()
    sla = make_agreement(customer=customer)
    make_target(sla, duration=8)
    team = make_team(members=[make_agent()])
    ola = make_agreement(kind="ola", team=team, supports=[sla])
    make_target(ola, duration=2)
    ticket = make_ticket(organisation=customer, team=team)
    # when the OLA breaches at 12:00
    result = services.sweep(at=at("2026-11-23T12:30:00"))
    # then the SLA's clock on that ticket is flagged at risk, audited, and explained
    assert result.breaches == 1 and result.at_risk == 1
    sla_clock = SlaClock.objects.get(ticket=ticket, agreement=sla)
    assert sla_clock.at_risk_from == [ola.code] and sla_clock.is_at_risk
    assert not sla_clock.is_breached
    assert AuditEntry.objects.filter(
        action="slaclock.at_risk", object_id=str(sla_clock.pk)
    ).exists()
    assert services.explain(sla_clock)["at_risk_from"] == [ola.code]
    # a later sweep flags nothing twice
    assert services.sweep(at=at("2026-11-23T16:00:00")).at_risk == 0


def test_the_worker_sweeps_every_minute_as_a_task(frozen) -> None:
    from steward.core import scheduler
    from steward.sla import tasks

    schedule = {s.name: s for s in scheduler.schedules()}["sla.sweep"]
    assert schedule.cron == "* * * * *" and schedule.task is tasks.sweep
    _ticket_with_clock(breach_actions=["raise_priority"])
    assert tasks.sweep.call(now="2026-11-23T13:59:00+00:00")["breaches"] == 0
    done = tasks.sweep.call(now="2026-11-23T14:00:00+00:00")
    assert done["breaches"] == 1
    assert AuditEntry.objects.get(action="slaclock.breach_reached").source == "task"
