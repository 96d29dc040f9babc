"""Clocks on real tickets: attach, pause, resume, stop, policy on a change, replay."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from steward.accounts.tests.factories import make_agent, make_organisation, make_team
from steward.core.models import AuditEntry
from steward.sla import services
from steward.sla.models import SlaClock
from steward.sla.tests.factories import make_agreement, make_target
from steward.tickets import services as tickets
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def _setup(frozen, **target):
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    made = make_target(agreement, **target)
    agent = make_agent()
    team = make_team(lead=agent)
    ticket = make_ticket(organisation=customer, team=team, assignee=agent)
    return made, ticket, agent


def test_clock_attaches_when_a_ticket_opens_and_runs_on_business_time(frozen) -> None:
    # given a 4-business-hour resolution target on office hours, Monday 10:00
    target, ticket, _ = _setup(frozen)
    # then the ticket has one running clock, due at 14:00
    clock = SlaClock.objects.get(ticket=ticket)
    assert clock.target == target
    assert clock.state == "running"
    assert clock.due_at == at("2026-11-23T14:00:00")
    assert AuditEntry.objects.filter(action="slaclock.attached", object_id=str(clock.pk)).exists()


def test_time_on_hold_does_not_count(frozen) -> None:
    target, ticket, agent = _setup(frozen)
    frozen.advance(hours=1)
    ticket = tickets.transition_ticket(actor=agent, ticket=ticket, to="in_progress")
    frozen.advance(hours=1)  # 12:00
    ticket = tickets.transition_ticket(actor=agent, ticket=ticket, to="on_hold")
    clock = SlaClock.objects.get(ticket=ticket)
    assert clock.state == "paused"
    assert clock.elapsed == timedelta(hours=2)
    assert clock.due_at is None
    frozen.set(at("2026-11-24T10:00:00"))  # next day
    ticket = tickets.transition_ticket(actor=agent, ticket=ticket, to="in_progress")
    clock.refresh_from_db()
    assert clock.state == "running"
    assert clock.due_at == at("2026-11-24T12:00:00")
    assert clock.paused == timedelta(hours=6)  # 12:00-17:00 and 09:00-10:00
    frozen.advance(hours=1)
    tickets.transition_ticket(
        actor=agent, ticket=ticket, to="resolved", values={"resolution": "Fixed."}
    )
    clock.refresh_from_db()
    assert clock.state == "met"
    assert clock.elapsed == timedelta(hours=3)
    replayed = services.replay(actor=None, ticket=ticket)
    assert [r.agrees for r in replayed] == [True]


def test_priority_change_mid_ticket_follows_the_policy_and_is_audited(frozen) -> None:
    # given targets for priority 5 (8 h) and 4 (2 h), counted from the change
    customer = make_organisation()
    agreement = make_agreement(customer=customer, change_policy="from_now")
    slow = make_target(agreement, priority=5, duration=8)
    fast = make_target(agreement, priority=4, duration=2)
    agent = make_agent()
    ticket = make_ticket(organisation=customer, team=make_team(members=[agent]), assignee=agent)
    # when the urgency (so the priority) goes up at 11:00
    frozen.advance(hours=1)
    tickets.edit_ticket(actor=agent, ticket=ticket, urgency=2)
    # then the old clock is cancelled and the new one counts from 11:00, both audited
    old = SlaClock.objects.get(ticket=ticket, target=slow)
    new = SlaClock.objects.get(ticket=ticket, target=fast)
    assert old.state == "cancelled" and "priority 5 -> 4" in old.notes[0]
    assert new.origin == at("2026-11-23T11:00:00")
    assert new.due_at == at("2026-11-23T13:00:00")
    attached = AuditEntry.objects.get(action="slaclock.attached", object_id=str(new.pk))
    assert attached.actor_id == agent.pk
    assert "counted from then" in attached.changes["notes"][0]
    assert AuditEntry.objects.filter(action="slaclock.cancelled", object_id=str(old.pk)).exists()


def test_first_staff_reply_meets_the_first_response_target(frozen) -> None:
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    response = make_target(agreement, metric="first_response", duration=1)
    agent = make_agent()
    ticket = make_ticket(organisation=customer, team=make_team(members=[agent]), assignee=agent)
    frozen.advance(minutes=20)
    tickets.add_comment(actor=agent, ticket=ticket, body="Looking into it.")
    clock = SlaClock.objects.get(ticket=ticket, target=response)
    assert clock.state == "met"
    assert clock.elapsed == timedelta(minutes=20)
    assert clock.stopped_at == at("2026-11-23T10:20:00")


def test_targets_of_other_customers_and_services_do_not_attach(frozen) -> None:
    from steward.cmdb.tests.factories import make_service

    service = make_service()
    make_target(make_agreement(services=[service]))  # another customer
    mine = make_organisation()
    make_target(make_agreement(customer=mine, services=[make_service()]))  # another service
    ticket = make_ticket(organisation=mine, service=service)
    assert not SlaClock.objects.filter(ticket=ticket).exists()


def test_ola_and_supporting_contract_run_beside_the_sla(frozen) -> None:
    from steward.accounts.choices import OrganisationKind
    from steward.cmdb.tests.factories import make_service

    service = make_service()
    customer = make_organisation()
    sla = make_agreement(customer=customer, services=[service])
    make_target(sla, duration=8)
    team = make_team()
    make_target(make_agreement(kind="ola", team=team, services=[service]), duration=4)
    supplier = make_organisation(kind=OrganisationKind.SUPPLIER)
    make_target(make_agreement(kind="uc", supplier=supplier, supports=[sla]), duration=16)
    ticket = make_ticket(organisation=customer, service=service, team=team)
    kinds = sorted(SlaClock.objects.filter(ticket=ticket).values_list("agreement__kind", flat=True))
    assert kinds == ["ola", "sla", "uc"]
    other = make_ticket(organisation=make_organisation(), service=service)
    assert not SlaClock.objects.filter(ticket=other).exists()  # the UC follows its SLA


def test_definitions_are_read_once_and_again_only_after_one_changes(
    frozen, django_assert_num_queries
) -> None:
    from steward.sla.services import candidates

    # given a ticket whose clock attached
    target, ticket, _ = _setup(frozen)
    candidates.candidates_for(ticket)
    # when its clocks are asked for again, the definitions are not read again
    with django_assert_num_queries(0):
        kept = candidates.candidates_for(ticket)
    assert kept is not None and [t.pk for t in kept.targets] == [target.pk]
    # and a new target, through the service, is seen at once
    second = make_target(target.agreement, priority=2)
    renewed = candidates.candidates_for(ticket)
    assert renewed is not None and {t.pk for t in renewed.targets} == {target.pk, second.pk}


def test_an_entry_that_changes_nothing_a_clock_reads_does_not_sync(
    frozen, monkeypatch: pytest.MonkeyPatch
) -> None:
    from steward.core import audit
    from steward.sla import hooks

    _target, ticket, agent = _setup(frozen)
    synced: list[int] = []
    monkeypatch.setattr(
        "steward.sla.services.sync_clocks", lambda t, actor=None: synced.append(t.pk)
    )
    audit.record(actor=agent, action="ticket.work_noted", obj=ticket, changes={"comment": 1})
    audit.record(actor=None, action="incident.routed", obj=ticket, changes={"team": 3})
    assert synced == []
    audit.record(actor=agent, action="ticket.updated", obj=ticket, changes={"priority": [3, 2]})
    audit.record(actor=agent, action="ticket.commented", obj=ticket, changes={"comment": 2})
    assert synced == [ticket.pk, ticket.pk]
    assert hooks.CLOCK_INPUTS[0] == "state"
