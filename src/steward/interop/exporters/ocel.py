"""OCEL 2.0 JSON: events (each related to its ticket and the person who acted) and objects
(the tickets, the people, the teams handed to)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet

from steward.accounts.models import Team
from steward.governance.services.lifecycle import Case, Event, Kind, cases

#: Event attributes and their OCEL types, per activity that carries them.
EVENT_ATTRIBUTES = {
    "from_state": "string",
    "to_state": "string",
    "state": "string",
    "priority": "integer",
    "priority_from": "integer",
    "priority_to": "integer",
    "team_from": "integer",
    "team_to": "integer",
    "assignee_from": "integer",
    "assignee_to": "integer",
    "public": "boolean",
}


def _person(label: str) -> str:
    return f"person:{label}"


def _event(number: int, case: Case, event: Event, teams: set[int]) -> dict[str, Any]:
    relationships = [
        {"objectId": case.number, "qualifier": "ticket"},
        {"objectId": _person(event.resource), "qualifier": "resource"},
    ]
    team = event.attributes.get("team_to")
    if isinstance(team, int):
        teams.add(team)
        relationships.append({"objectId": f"team:{team}", "qualifier": "handed to"})
    return {
        "id": f"e{event.entry_id}-{number}",
        "type": event.activity,
        "time": event.at.isoformat(),
        "attributes": [
            {"name": name, "value": value}
            for name, value in event.attributes.items()
            if value is not None
        ],
        "relationships": relationships,
    }


def chunks(kind: Kind, tickets: QuerySet[Any]) -> Iterator[str]:
    """The OCEL document: the events a case at a time, then the objects, then the types."""
    people: set[str] = set()
    teams: set[int] = set()
    activities: set[str] = set()
    yield '{"events": ['
    first = True
    for case in cases(kind, tickets):
        for number, event in enumerate(case.events):
            people.add(event.resource)
            activities.add(event.activity)
            yield ("" if first else ",\n") + json.dumps(_event(number, case, event, teams))
            first = False
    yield '],\n"objects": ['
    first = True
    for case in cases(kind, tickets):
        ticket = {
            "id": case.number,
            "type": kind.name,
            "attributes": [
                {"name": "priority", "time": case.opened_at.isoformat(), "value": case.priority},
                {"name": "state", "time": case.opened_at.isoformat(), "value": case.state},
            ],
            "relationships": [],
        }
        yield ("" if first else ",\n") + json.dumps(ticket)
        first = False
    for label in sorted(people):
        yield ("" if first else ",\n") + json.dumps(
            {"id": _person(label), "type": "person", "attributes": [], "relationships": []}
        )
        first = False
    for pk, name in Team.objects.filter(pk__in=teams).order_by("pk").values_list("pk", "name"):
        yield ("" if first else ",\n") + json.dumps(
            {
                "id": f"team:{pk}",
                "type": "team",
                "attributes": [{"name": "name", "time": "1970-01-01T00:00:00Z", "value": name}],
                "relationships": [],
            }
        )
        first = False
    event_types = [
        {
            "name": activity,
            "attributes": [{"name": n, "type": t} for n, t in EVENT_ATTRIBUTES.items()],
        }
        for activity in sorted(activities)
    ]
    object_types = [
        {
            "name": kind.name,
            "attributes": [
                {"name": "priority", "type": "integer"},
                {"name": "state", "type": "string"},
            ],
        },
        {"name": "person", "attributes": []},
        {"name": "team", "attributes": [{"name": "name", "type": "string"}]},
    ]
    yield '],\n"eventTypes": ' + json.dumps(event_types)
    yield ',\n"objectTypes": ' + json.dumps(object_types) + "}\n"
