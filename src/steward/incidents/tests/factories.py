"""Factories for incidents: plain functions with defaults."""

from __future__ import annotations

import itertools
from typing import Any

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.incidents import services
from steward.incidents.models import AssignmentRule, Category, Incident, Interaction

_seq = itertools.count(1)


def make_category(**overrides: Any) -> Category:
    n = next(_seq)
    values: dict[str, Any] = {"name": f"Category {n}", "code": f"category-{n}"}
    values.update(overrides)
    return services.create_category(actor=None, **values)


def make_subcategory(parent: Category | None = None, **overrides: Any) -> Category:
    return make_category(parent=parent or make_category(), **overrides)


def make_incident(**overrides: Any) -> Incident:
    n = next(_seq)
    values: dict[str, Any] = {"title": f"E-mail {n} does not arrive", "description": "Since 9."}
    values.update(overrides)
    if "requester" not in values:
        values["requester"] = make_person(organisation=values.get("organisation"))
    return services.open_incident(actor=None, **values)


def make_assigned_incident(**overrides: Any) -> tuple[Incident, Person]:
    """An incident given to a team with an agent in it, assigned to that agent."""
    agent = overrides.pop("assignee", None) or make_agent()
    team = overrides.pop("team", None) or make_team(lead=agent)
    incident = make_incident(team=team, assignee=agent, **overrides)
    return incident, agent


def make_assignment_rule(**overrides: Any) -> AssignmentRule:
    n = next(_seq)
    values: dict[str, Any] = {"name": f"Rule {n}"}
    values.update(overrides)
    if "team" not in values:
        values["team"] = make_team(members=[make_agent()])
    return services.create_assignment_rule(actor=None, **values)


def make_incident_manager(**overrides: Any) -> Person:
    from steward.accounts.choices import RoleCode

    return make_person(roles=[RoleCode.INCIDENT_MANAGER], **overrides)


def make_major_incident(**overrides: Any) -> tuple[Incident, Person]:
    """An assigned incident declared major; returns it and its (incident manager) manager."""
    from steward.incidents.services import major

    manager = overrides.pop("manager", None) or make_incident_manager()
    incident, _agent = make_assigned_incident(**overrides)
    incident = major.declare_major(
        actor=manager, incident=incident, manager=manager, reason="Everybody is affected."
    )
    return incident, manager


def make_interaction(**overrides: Any) -> Interaction:
    from steward.incidents.services import interactions

    n = next(_seq)
    values: dict[str, Any] = {"channel": "phone", "summary": f"Caller {n} cannot print"}
    values.update(overrides)
    actor = values.pop("actor", None) or make_agent()
    if "caller" not in values:
        values["caller"] = make_person(organisation=values.pop("organisation", None))
    return interactions.log_interaction(actor=actor, **values)
