"""Interactions through their services, and first-contact resolution over a known set."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.core.errors import NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.incidents import services
from steward.incidents.models import Incident, Interaction
from steward.incidents.services import interactions, reports
from steward.incidents.tests.factories import make_assigned_incident, make_interaction
from steward.tickets import services as tickets

pytestmark = pytest.mark.django_db


def test_a_call_is_logged_numbered_and_resolved_on_first_contact() -> None:
    agent = make_agent()
    team = make_team(lead=agent)
    caller = make_person()
    call = interactions.log_interaction(
        actor=agent, caller=caller, channel="phone", summary="Forgot PIN", notes="Called at 9."
    )
    assert call.number.startswith("IMS") and call.is_open
    assert (call.agent, call.team, call.organisation) == (agent, team, caller.organisation)
    with pytest.raises(RuleViolation):
        interactions.resolve_on_first_contact(actor=agent, interaction=call, resolution=" ")
    done = interactions.resolve_on_first_contact(
        actor=agent, interaction=call, resolution="Reset the PIN."
    )
    assert done.outcome == "resolved" and done.ended_at is not None
    with pytest.raises(RuleViolation):  # it has ended
        interactions.abandon_interaction(actor=agent, interaction=done)
    actions = list(
        AuditEntry.objects.filter(object_id=str(call.pk), object_type="incidents.interaction")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["interaction.created", "interaction.resolved"]


def test_raising_an_incident_takes_the_channel_as_contact_type_and_links_it() -> None:
    agent = make_agent()
    chat = make_interaction(actor=agent, channel="chat", summary="VPN drops", notes="Since 8.")
    linked = interactions.raise_incident_from_interaction(actor=agent, interaction=chat)
    assert linked.incident is not None and linked.outcome == "linked"
    incident = Incident.objects.get(pk=linked.incident.pk)
    assert (incident.contact_type, incident.title, incident.description) == (
        "chat",
        "VPN drops",
        "Since 8.",
    )
    assert incident.requester == chat.caller


def test_linking_to_an_existing_incident_and_abandoning() -> None:
    agent = make_agent()
    incident, _ = make_assigned_incident()
    call = make_interaction(actor=agent)
    linked = interactions.link_interaction(actor=agent, interaction=call, incident=incident)
    assert (linked.outcome, linked.incident) == ("linked", incident)
    walk_in = make_interaction(actor=agent, channel="walk_in")
    gone = interactions.abandon_interaction(actor=agent, interaction=walk_in, reason="Left.")
    assert gone.outcome == "abandoned"


def test_bad_input_is_refused_and_nothing_is_logged() -> None:
    agent = make_agent()
    with pytest.raises(RuleViolation):
        interactions.log_interaction(actor=agent, caller=make_person(), channel="fax", summary="x")
    with pytest.raises(RuleViolation):
        interactions.log_interaction(actor=agent, caller=make_person(), channel="chat", summary=" ")
    from steward.core.errors import Forbidden

    with pytest.raises(Forbidden):  # requesters do not log contacts
        interactions.log_interaction(
            actor=make_person(), caller=make_person(), channel="chat", summary="x"
        )
    assert Interaction.objects.count() == 0


def test_requesters_see_their_own_interactions_only() -> None:
    mine = make_interaction()
    theirs = make_interaction()
    caller = mine.caller
    assert list(Interaction.objects.visible_to(caller)) == [mine]
    from steward.core import policy

    with pytest.raises(NotFound):
        policy.get_for(caller, Interaction.objects.all(), theirs.pk)
    with pytest.raises(NotFound):
        interactions.resolve_on_first_contact(actor=caller, interaction=theirs, resolution="x")


def _resolve(incident: Incident, agent: object) -> None:
    tickets.transition_ticket(actor=agent, ticket=incident, to="in_progress")  # type: ignore[arg-type]
    services.resolve_incident(
        actor=agent,  # type: ignore[arg-type]
        incident=Incident.objects.get(pk=incident.pk),
        resolution_code="solved_permanently",
        resolution="Done.",
    )


def test_first_contact_resolution_over_a_known_set() -> None:
    # given a desk team's contacts: 3 resolved, 1 linked, 1 abandoned, 1 still open
    agent = make_agent()
    desk = make_team(name="Desk", lead=agent)
    for _ in range(3):
        call = make_interaction(actor=agent)
        interactions.resolve_on_first_contact(actor=agent, interaction=call, resolution="Ok.")
    raised = interactions.raise_incident_from_interaction(
        actor=agent, interaction=make_interaction(actor=agent)
    )
    interactions.abandon_interaction(actor=agent, interaction=make_interaction(actor=agent))
    make_interaction(actor=agent)
    # and another team's contact, resolved
    other_agent = make_agent()
    other = make_team(name="Other", lead=other_agent)
    interactions.resolve_on_first_contact(
        actor=other_agent, interaction=make_interaction(actor=other_agent), resolution="Ok."
    )
    # and incidents: two resolved by their first team, one reassigned, one escalated,
    # one cancelled (not counted), one still open
    first_a, agent_a = make_assigned_incident(team=desk, assignee=agent)
    _resolve(first_a, agent_a)
    first_b, agent_b = make_assigned_incident()
    _resolve(first_b, agent_b)
    moved, moved_agent = make_assigned_incident()
    services.reassign(actor=moved_agent, incident=moved, team=other, assignee=other_agent)
    _resolve(moved, other_agent)
    escalated, esc_agent = make_assigned_incident()
    second = make_team(support_line=2, lead=make_agent())
    services.escalate(actor=esc_agent, incident=escalated)
    escalated = Incident.objects.get(pk=escalated.pk)
    # (the new line's lead picks it up: not a reassignment, so only the escalation counts)
    tickets.update_ticket(actor=None, ticket=escalated, assignee=second.lead)
    assert Incident.objects.get(pk=escalated.pk).reassignment_count == 0
    cancelled, c_agent = make_assigned_incident()
    tickets.transition_ticket(
        actor=c_agent, ticket=cancelled, to="cancelled", values={"resolution": "Mistake."}
    )
    make_assigned_incident()
    _resolve(Incident.objects.get(pk=escalated.pk), second.lead)
    assert raised.incident_id is not None
    now = timezone.now()
    since, until = now - timedelta(hours=1), now + timedelta(hours=1)
    # when the figures are computed, in the database
    everything = reports.first_contact_resolution(since=since, until=until)
    desk_only = reports.first_contact_resolution(since=since, until=until, team=desk)
    # then they are exactly the known set's
    assert (
        everything.interactions_resolved,
        everything.interactions_linked,
        everything.interactions_abandoned,
        everything.interactions_ended,
    ) == (4, 1, 1, 6)
    assert everything.interaction_rate == pytest.approx(4 / 5)
    assert desk_only.interactions_resolved == 3 and desk_only.interaction_rate == 0.75
    assert (everything.incidents_resolved, everything.incidents_resolved_by_first_team) == (4, 2)
    assert everything.incident_rate == 0.5
    assert desk_only.incidents_resolved == 1 and desk_only.incident_rate == 1.0
    # and a period without rows has no rates
    empty = reports.first_contact_resolution(since=until, until=until + timedelta(days=1))
    assert empty.interaction_rate is None and empty.incident_rate is None


def test_the_report_command() -> None:
    agent = make_agent()
    call = make_interaction(actor=agent)
    interactions.resolve_on_first_contact(actor=agent, interaction=call, resolution="Ok.")
    today = timezone.localdate().isoformat()
    out = StringIO()
    call_command("report", "fcr", "--from", today, "--to", today, "--json", stdout=out)
    figures = json.loads(out.getvalue())
    assert figures["interactions_resolved_on_first_contact"] == 1
    assert figures["interaction_rate"] == 1.0
    text = StringIO()
    call_command("report", "fcr", "--from", today, "--to", today, stdout=text)
    assert "contacts:  100.0%" in text.getvalue()
