"""The incident workflow under every profile: sound, remappable, and run by the engine."""

from __future__ import annotations

import pytest

from steward.core import profiles, workflow
from steward.core.errors import RuleViolation
from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_assigned_incident, make_incident
from steward.incidents.workflows import WORKFLOWS

pytestmark = pytest.mark.django_db


def test_every_profile_is_sound_and_registered() -> None:
    for profile, declared in WORKFLOWS.items():
        assert declared.problems() == [], profile
    assert workflow.workflows_for(Incident) == WORKFLOWS
    assert workflow.unknown_guards() == []
    assert not [e for e in workflow.unhandled_effects() if e.startswith("incidents.")]


def test_every_state_of_any_profile_has_a_place_in_every_other() -> None:
    for profile, declared in WORKFLOWS.items():
        for other in WORKFLOWS.values():
            for code in other.codes - declared.codes:
                assert declared.remap[code] in declared.codes, (profile, code)


def test_every_profile_asks_for_a_resolution_code() -> None:
    for profile, declared in WORKFLOWS.items():
        finishing = [
            t
            for t in declared.transitions
            if t.target == ("closed" if profile == "core" else "resolved")
            and "resolution" in t.requires
        ]
        assert finishing, profile
        assert all("resolution_code" in t.requires for t in finishing), profile


def test_switching_profile_moves_held_incidents() -> None:
    # given an incident on hold under "full"
    incident, agent = make_assigned_incident()
    incident = workflow.transition(incident, to="in_progress", actor=agent)
    workflow.transition(
        incident, to="on_hold", actor=agent, values={"hold_reason": "awaiting_caller"}
    )
    fresh = make_incident()
    # when the profile becomes "fits" (no on hold there)
    profiles.set_profile(actor=None, profile="fits")
    # then it is in progress, and new incidents follow the fits workflow
    assert Incident.objects.get(pk=incident.pk).state == "in_progress"
    assert Incident.objects.get(pk=fresh.pk).state == "new"
    with pytest.raises(RuleViolation):
        workflow.transition(
            Incident.objects.get(pk=incident.pk),
            to="on_hold",
            actor=agent,
            values={"hold_reason": "awaiting_caller"},
        )


def test_core_closes_with_a_code_and_reopens_by_the_desk() -> None:
    profiles.set_profile(actor=None, profile="core")
    incident, agent = make_assigned_incident()
    closed = workflow.transition(
        incident,
        to="closed",
        actor=agent,
        values={"resolution_code": "solved_workaround", "resolution": "Restarted."},
    )
    assert closed.closed_at is not None and closed.resolved_at is not None
    with pytest.raises(RuleViolation):
        workflow.transition(closed, to="in_progress", actor=closed.requester)
    again = workflow.transition(closed, to="in_progress", actor=agent)
    assert again.reopen_count == 1


def test_a_base_ticket_row_moves_as_its_incident() -> None:
    # given an incident fetched as a plain ticket (as the ticket API and queue do)
    from steward.tickets import services as tickets
    from steward.tickets.models import Ticket

    incident, agent = make_assigned_incident()
    row = Ticket.objects.get(pk=incident.pk)
    row = tickets.transition_ticket(actor=agent, ticket=row, to="in_progress")
    # when it goes on hold / then the incident workflow's rule applies
    with pytest.raises(RuleViolation) as missing:
        tickets.transition_ticket(actor=agent, ticket=row, to="on_hold")
    assert "hold_reason" in missing.value.message_dict
    held = tickets.transition_ticket(
        actor=agent, ticket=row, to="on_hold", values={"hold_reason": "awaiting_vendor"}
    )
    assert isinstance(held, Incident) and held.hold_reason == "awaiting_vendor"
