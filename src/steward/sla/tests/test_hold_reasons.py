"""Conditions on why a ticket waits: pause while awaiting the caller, never while awaiting a
vendor (the reason qualifies the state: ``on_hold:awaiting_caller``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from steward.accounts.tests.factories import make_agent, make_organisation, make_person, make_team
from steward.core.errors import RuleViolation
from steward.incidents import services as incidents
from steward.incidents.tests.factories import make_incident
from steward.sla import services
from steward.sla.models import SlaClock
from steward.sla.tests.factories import make_agreement, make_target

pytestmark = pytest.mark.django_db


def at(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00")


def _incident_with_clock(**conditions):
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    target = make_target(agreement, ticket_kind="incidents.incident", **conditions)
    agent = make_agent()
    team = make_team(lead=agent, members=[agent])
    incident = make_incident(
        requester=make_person(organisation=customer),
        organisation=customer,
        team=team,
        assignee=agent,
    )
    incident = incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    return target, incident, agent


def _hold(agent, incident, reason):
    return incidents.transition_incident(
        actor=agent, incident=incident, to="on_hold", values={"hold_reason": reason}
    )


def test_a_target_pauses_for_the_caller_and_keeps_running_for_a_vendor(frozen) -> None:
    # given a 4-hour target that pauses only while the caller is awaited, Monday 10:00
    _, incident, agent = _incident_with_clock(pause_states=["on_hold:awaiting_caller"])
    clock = SlaClock.objects.get(ticket=incident)
    frozen.advance(hours=1)  # 11:00
    incident = _hold(agent, incident, "awaiting_vendor")
    clock.refresh_from_db()
    assert clock.state == "running"  # waiting for a vendor is the provider's time
    assert clock.due_at == at("2026-11-23T14:00:00")
    frozen.advance(hours=1)  # 12:00: back at work, then waiting for the caller
    incident = incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    frozen.advance(hours=1)  # 13:00
    incident = _hold(agent, incident, "awaiting_caller")
    clock.refresh_from_db()
    assert clock.state == "paused"
    assert clock.elapsed == timedelta(hours=3)
    frozen.advance(hours=2)  # 15:00
    incident = incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    clock.refresh_from_db()
    assert clock.state == "running"
    assert clock.paused == timedelta(hours=2)
    assert clock.due_at == at("2026-11-23T16:00:00")
    # and the replay from the audit history gives the same clock
    assert [r.agrees for r in services.replay(actor=None, ticket=incident)] == [True]


def test_changing_the_reason_while_on_hold_moves_the_clock(frozen) -> None:
    # a bare "on_hold" would pause for any reason; this target names one reason only
    _, incident, agent = _incident_with_clock(pause_states=["on_hold:awaiting_caller"])
    clock = SlaClock.objects.get(ticket=incident)
    frozen.advance(hours=1)  # 11:00
    incident = _hold(agent, incident, "awaiting_caller")
    clock.refresh_from_db()
    assert clock.state == "paused"
    frozen.advance(hours=1)  # 12:00: the caller answered; now the vendor is awaited
    incident = incidents.update_incident(
        actor=agent, incident=incident, hold_reason="awaiting_vendor"
    )
    clock.refresh_from_db()
    assert clock.state == "running"
    assert clock.elapsed == timedelta(hours=1)
    assert clock.paused == timedelta(hours=1)
    assert [r.agrees for r in services.replay(actor=None, ticket=incident)] == [True]


def test_a_bare_state_matches_every_reason(frozen) -> None:
    _, incident, agent = _incident_with_clock(pause_states=["on_hold"])
    frozen.advance(hours=1)
    _hold(agent, incident, "awaiting_vendor")
    assert SlaClock.objects.get(ticket=incident).state == "paused"


def test_leaving_the_waiting_state_ends_its_reason(frozen) -> None:
    # paused for the caller only; after resuming, a later hold for a vendor keeps running
    _, incident, agent = _incident_with_clock(pause_states=["on_hold:awaiting_caller"])
    frozen.advance(hours=1)
    incident = _hold(agent, incident, "awaiting_caller")
    frozen.advance(hours=1)
    incident = incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    incident.refresh_from_db()
    assert incident.hold_reason == ""
    frozen.advance(hours=1)
    _hold(agent, incident, "awaiting_vendor")
    clock = SlaClock.objects.get(ticket=incident)
    assert clock.state == "running"
    assert clock.paused == timedelta(hours=1)


def test_unknown_reasons_and_reasons_on_kinds_without_one_are_refused() -> None:
    agreement = make_agreement()
    with pytest.raises(RuleViolation) as refused:
        make_target(
            agreement, ticket_kind="incidents.incident", pause_states=["on_hold:awaiting_godot"]
        )
    message = " ".join(refused.value.message_dict["pause_states"])
    assert "on_hold:awaiting_godot" in message and "on_hold:awaiting_caller" in message
    with pytest.raises(RuleViolation):  # a plain ticket says no reason for waiting
        make_target(agreement, ticket_kind="tickets.ticket", pause_states=["on_hold:x"])
    # nothing was created
    assert not agreement.targets.exists()


def test_a_hold_reason_changes_only_while_on_hold_and_to_a_known_reason(frozen) -> None:
    _, incident, agent = _incident_with_clock()
    with pytest.raises(RuleViolation):  # in progress: no reason to wait
        incidents.update_incident(actor=agent, incident=incident, hold_reason="awaiting_caller")
    incident = _hold(agent, incident, "awaiting_caller")
    with pytest.raises(RuleViolation):
        incidents.update_incident(actor=agent, incident=incident, hold_reason="")
    incident.refresh_from_db()
    assert incident.hold_reason == "awaiting_caller"


def test_a_profile_switch_that_moves_a_waiting_incident_resumes_its_clock(
    frozen, django_capture_on_commit_callbacks
) -> None:
    from django_tasks_db.models import DBTaskResult

    from steward.core import profiles
    from steward.sla import tasks

    _, incident, agent = _incident_with_clock()  # pauses on hold (the kind's default)
    frozen.advance(hours=1)  # 11:00
    _hold(agent, incident, "awaiting_caller")
    clock = SlaClock.objects.get(ticket=incident)
    assert clock.state == "paused"
    frozen.advance(hours=1)  # 12:00: the school profile has no "on hold"
    with django_capture_on_commit_callbacks(execute=True):
        profiles.set_profile(actor=None, profile="fits")
    (queued,) = DBTaskResult.objects.filter(task_path__endswith="resync_clocks")
    assert queued.args_kwargs["kwargs"] == {"ticket_ids": [incident.pk]}
    assert tasks.resync_clocks.call(**queued.args_kwargs["kwargs"]) == 1
    clock.refresh_from_db()
    assert clock.state == "running"  # in progress since the switch
    assert clock.paused == timedelta(hours=1)
    assert clock.due_at == at("2026-11-23T15:00:00")  # 1 h elapsed, 3 h to go from 12:00
    assert [r.agrees for r in services.replay(actor=None, ticket=incident)] == [True]
