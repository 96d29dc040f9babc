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


def _setup(frozen, **target):  # type: ignore[no-untyped-def]
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    made = make_target(agreement, **target)
    agent = make_agent()
    team = make_team(lead=agent)
    ticket = make_ticket(organisation=customer, team=team, assignee=agent)
    return made, ticket, agent


def test_clock_attaches_when_a_ticket_opens_and_runs_on_business_time(frozen) -> None:  # type: ignore[no-untyped-def]
    # given a 4-business-hour resolution target on office hours, Monday 10:00
    target, ticket, _ = _setup(frozen)
    # then the ticket has one running clock, due at 14:00
    clock = SlaClock.objects.get(ticket=ticket)
    assert clock.target == target
    assert clock.state == "running"
    assert clock.due_at == at("2026-11-23T14:00:00")
    assert AuditEntry.objects.filter(action="slaclock.attached", object_id=str(clock.pk)).exists()


def test_time_on_hold_does_not_count(frozen) -> None:  # type: ignore[no-untyped-def]
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
