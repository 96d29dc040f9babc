"""Shared set-up for the portal and satisfaction tests: plain functions."""

from __future__ import annotations

from typing import Any

from django.test import Client

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person, make_team
from steward.incidents import services as incidents
from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_incident
from steward.tickets import services as tickets


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def make_requester(**overrides: Any) -> Person:
    if "organisation" not in overrides:
        overrides["organisation"] = make_organisation()
    return make_person(**overrides)


def worked_incident(requester: Person | None = None, **overrides: Any) -> tuple[Incident, Person]:
    """An incident in progress with a team and an agent, a work note and a public reply."""
    requester = requester or make_requester()
    agent = make_agent(full_name="Agent Smithers")
    team = make_team(name=f"Secret team {agent.pk}", lead=agent, members=[agent])
    incident = make_incident(requester=requester, team=team, assignee=agent, **overrides)
    incident = incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    tickets.add_comment(
        actor=agent, ticket=incident, body="WORKNOTE vendor case 4711", is_public=False
    )
    tickets.add_comment(actor=agent, ticket=incident, body="We are **on it**.")
    tickets.log_time(actor=agent, ticket=incident, minutes=42, note="TIMENOTE reboot")
    return incident, agent


def resolved_incident(requester: Person | None = None, **overrides: Any) -> tuple[Incident, Person]:
    incident, agent = worked_incident(requester, **overrides)
    incident = incidents.resolve_incident(
        actor=agent,
        incident=incident,
        resolution_code="solved_permanently",
        resolution="Replaced the **toner**.",
    )
    return incident, agent
