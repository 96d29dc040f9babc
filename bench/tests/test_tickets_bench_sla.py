"""``ticket_create --sla``: the service levels a bench site gets before incidents are created."""

from __future__ import annotations

import pytest

from bench.tickets_sla import service_levels
from steward.accounts.tests.factories import make_agent, make_organisation, make_person, make_team
from steward.incidents import services as incidents
from steward.sla.models import Agreement, SlaClock

pytestmark = pytest.mark.django_db


def test_every_requester_organisation_gets_an_sla_and_the_team_an_ola() -> None:
    # given requesters of two organisations and a team
    north, south = make_organisation(), make_organisation()
    requesters = [make_person(organisation=north), make_person(organisation=south)]
    agent = make_agent()
    team = make_team(members=[agent])
    # when the bench sets up service levels
    made = service_levels([p.pk for p in requesters], team.pk)
    # then two SLAs and one OLA exist, and an incident of theirs for the team gets three clocks
    assert made == 3
    assert sorted(Agreement.objects.values_list("kind", flat=True)) == ["ola", "sla", "sla"]
    incident = incidents.open_incident(
        actor=None, title="Slow", requester=requesters[0], team=team, assignee=agent
    )
    assert SlaClock.objects.filter(ticket_id=incident.pk).count() == 3
