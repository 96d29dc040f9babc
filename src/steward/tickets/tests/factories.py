"""Factories for tickets: plain functions with defaults."""

from __future__ import annotations

import itertools
from typing import Any

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.tickets import services
from steward.tickets.models import Ticket

_seq = itertools.count(1)


def make_ticket(**overrides: Any) -> Ticket:
    n = next(_seq)
    values: dict[str, Any] = {"title": f"Printer {n} is jammed", "description": "It *beeps*."}
    values.update(overrides)
    if "requester" not in values:
        values["requester"] = make_person(organisation=values.get("organisation"))
    return services.create_ticket(actor=None, **values)


def make_assigned_ticket(**overrides: Any) -> tuple[Ticket, Person]:
    """A ticket with a team and an agent in it, assigned to that agent."""
    agent = overrides.pop("assignee", None) or make_agent()
    team = overrides.pop("team", None) or make_team(lead=agent)
    ticket = make_ticket(team=team, assignee=agent, **overrides)
    return ticket, agent
