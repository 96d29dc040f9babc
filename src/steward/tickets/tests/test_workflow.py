"""The workflow engine on tickets: the table, guards, versions, profiles and a property test."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.accounts.tests.factories import make_admin, make_agent, make_person
from steward.core import profiles, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.core.workflow import Category, State, Transition, Workflow
from steward.tickets import services
from steward.tickets.choices import LinkType
from steward.tickets.models import Ticket
from steward.tickets.tests.factories import make_assigned_ticket, make_ticket
from steward.tickets.workflows import WORKFLOWS

pytestmark = pytest.mark.django_db


def test_every_declared_workflow_is_sound() -> None:
    for profile, declared in WORKFLOWS.items():
        assert declared.problems() == [], profile
    assert workflow.unknown_guards() == []


def test_unsound_declarations_are_refused() -> None:
    a = State("a", "A", Category.NEW)
    broken = Workflow(states=(a,), initial="a", transitions=(Transition(("a",), "zz", "Go"),))
    assert any("undeclared state 'zz'" in p for p in broken.problems())
    with pytest.raises(ValueError, match="no remap target"):
        workflow.register(
            "tests.thing",
            {
                "full": Workflow(
                    states=(a, State("b", "B", Category.CLOSED)),
                    initial="a",
                    transitions=(Transition(("a",), "b", "Finish"),),
                ),
                "lite": Workflow(states=(a,), initial="a", transitions=()),
                "fits": None,
                "core": None,
            },
        )


def test_a_ticket_goes_through_its_life_with_stamps() -> None:
    ticket, agent = make_assigned_ticket()
    ticket = services.transition_ticket(actor=agent, ticket=ticket, to="in_progress")
    assert ticket.state_category == "active"
    ticket = services.transition_ticket(
        actor=agent, ticket=ticket, to="resolved", values={"resolution": "Replaced the roller."}
    )
    assert ticket.resolved_at is not None
    assert ticket.state_category == "resolved"
    ticket = services.transition_ticket(actor=agent, ticket=ticket, to="in_progress")
    assert ticket.resolved_at is None, "reopening clears the resolution time"
    ticket = services.transition_ticket(
        actor=agent, ticket=ticket, to="resolved", values={"resolution": "Replaced it again."}
    )
    ticket = services.transition_ticket(actor=agent, ticket=ticket, to="closed")
    assert ticket.closed_at is not None and ticket.resolved_at is not None
    actions = list(
        AuditEntry.objects.for_object(ticket).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["ticket.created"] + ["ticket.transitioned"] * 5


def test_refusals_change_nothing() -> None:
    ticket, agent = make_assigned_ticket()
    stranger = make_person()
    before = AuditEntry.objects.count()
    with pytest.raises(RuleViolation, match="cannot go from New to Closed"):
        services.transition_ticket(actor=agent, ticket=ticket, to="closed")
    with pytest.raises(RuleViolation) as missing:
        services.transition_ticket(actor=agent, ticket=ticket, to="cancelled")
    assert "resolution" in missing.value.message_dict
    with pytest.raises(RuleViolation):
        services.transition_ticket(
            actor=agent, ticket=ticket, to="in_progress", values={"title": "sneaky"}
        )
    with pytest.raises(Conflict):
        services.transition_ticket(
            actor=agent, ticket=ticket, to="in_progress", expected_version=99
        )
    with pytest.raises(NotFound):
        services.transition_ticket(actor=stranger, ticket=ticket, to="in_progress")
    with pytest.raises(Forbidden):
        services.transition_ticket(actor=ticket.requester, ticket=ticket, to="in_progress")
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert (fresh.state, fresh.version, fresh.title) == ("new", 1, ticket.title)
    assert AuditEntry.objects.count() == before


def test_a_parent_waits_for_its_children() -> None:
    parent, agent = make_assigned_ticket()
    child, _ = make_assigned_ticket(assignee=agent, team=parent.team)
    services.link_tickets(actor=agent, source=parent, target=child, link_type=LinkType.PARENT_OF)
    services.transition_ticket(actor=agent, ticket=parent, to="in_progress")
    with pytest.raises(RuleViolation, match=child.number):
        services.transition_ticket(
            actor=agent, ticket=parent, to="resolved", values={"resolution": "done"}
        )
    services.transition_ticket(actor=agent, ticket=child, to="in_progress")
    services.transition_ticket(
        actor=agent, ticket=child, to="resolved", values={"resolution": "done"}
    )
    parent = services.transition_ticket(
        actor=agent, ticket=parent, to="resolved", values={"resolution": "done"}
    )
    assert parent.state == "resolved"


def test_effects_run_by_name_in_the_same_transaction() -> None:
    calls: list[tuple[str, str, str]] = []

    def paused(obj: Ticket, *, actor: object, transition: Transition, previous: str) -> None:
        calls.append((obj.number, previous, obj.state))

    workflow.register_effect("sla.pause", paused)
    try:
        ticket, agent = make_assigned_ticket()
        services.transition_ticket(actor=agent, ticket=ticket, to="in_progress")
        services.transition_ticket(actor=agent, ticket=ticket, to="on_hold")
    finally:
        workflow._registry.effects["sla.pause"].remove(paused)
    assert calls == [(ticket.number, "in_progress", "on_hold")]


def test_switching_profile_remaps_and_audits_and_never_strands_a_ticket() -> None:
    admin = make_admin()
    agent = make_agent()
    on_hold, agent = make_assigned_ticket(assignee=agent)
    services.transition_ticket(actor=agent, ticket=on_hold, to="in_progress")
    services.transition_ticket(actor=agent, ticket=on_hold, to="on_hold")
    cancelled = make_ticket()
    services.transition_ticket(
        actor=None, ticket=cancelled, to="cancelled", values={"resolution": "Not needed"}
    )
    fresh = make_ticket()
    with pytest.raises(Forbidden):
        profiles.set_profile(actor=agent, profile="fits")
    switch = profiles.set_profile(actor=admin, profile="fits")
    assert switch.previous == "full"
    assert workflow.active_profile() == "fits"
    on_hold.refresh_from_db()
    cancelled.refresh_from_db()
    fresh.refresh_from_db()
    assert (on_hold.state, on_hold.state_category) == ("in_progress", "active")
    assert (cancelled.state, cancelled.state_category) == ("closed", "closed")
    assert fresh.state == "new"
    remapped = AuditEntry.objects.for_object(on_hold).get(action="ticket.remapped")
    assert remapped.changes["state"] == ["on_hold", "in_progress"]
    assert remapped.actor == admin
    fits = WORKFLOWS["fits"]
    assert set(Ticket.objects.values_list("state", flat=True)) <= fits.codes
    # Under FITS there is no hold; the buttons follow the new table.
    names = [t.label for t in workflow.allowed_transitions(on_hold, agent)]
    assert "Put on hold" not in names and "Resolve" in names


# --- the property ----------------------------------------------------------------------------

TARGETS = sorted({s.code for wf in WORKFLOWS.values() for s in wf.states})


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    profile=st.sampled_from(sorted(WORKFLOWS)),
    steps=st.lists(st.tuples(st.sampled_from(TARGETS), st.booleans(), st.booleans()), max_size=12),
)
def test_random_walks_stay_in_the_table(profile: str, steps: list[tuple[str, bool, bool]]) -> None:
    """Random transitions never reach an undeclared state; every accepted one is audited
    with the move it made; every refused one changes nothing."""
    profiles.set_profile(actor=None, profile=profile)
    declared = WORKFLOWS[profile]
    ticket, agent = make_assigned_ticket()
    for target, with_resolution, stale in steps:
        before = Ticket.objects.get(pk=ticket.pk)
        entries = AuditEntry.objects.count()
        values = {"resolution": "done"} if with_resolution else {}
        allowed = declared.find(before.state, target)
        try:
            ticket = services.transition_ticket(
                actor=agent,
                ticket=before,
                to=target,
                values={k: v for k, v in values.items() if allowed and k in allowed.fields},
                expected_version=before.version - 1 if stale else before.version,
            )
        except (RuleViolation, Conflict):
            after = Ticket.objects.get(pk=ticket.pk)
            assert (after.state, after.version, after.resolution) == (
                before.state,
                before.version,
                before.resolution,
            )
            assert AuditEntry.objects.count() == entries
            continue
        assert allowed is not None and not stale
        assert ticket.state == target and ticket.state in declared.codes
        assert ticket.version == before.version + 1
        entry = AuditEntry.objects.for_object(ticket).order_by("-id").first()
        assert entry is not None and entry.action == "ticket.transitioned"
        assert entry.changes["state"] == [before.state, target]
    profiles.set_profile(actor=None, profile="full")
