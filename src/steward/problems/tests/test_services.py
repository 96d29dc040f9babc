"""Problem services: who may do what, the workflow's guards, links, and the known-error
actions, each with its audit entries and "nothing changed" on refusal."""

from __future__ import annotations

import pytest

from steward.accounts import services as accounts
from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.core import workflow
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.incidents import services as incidents
from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_assigned_incident, make_incident
from steward.problems import services
from steward.problems.models import Problem
from steward.problems.tests.factories import (
    FIVE_WHYS,
    make_fixing,
    make_known_error,
    make_problem,
    make_problem_manager,
)
from steward.tickets.models import Comment, Ticket, TicketLink
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def actions(obj: object) -> list[str]:
    return list(AuditEntry.objects.for_object(obj).values_list("action", flat=True))  # type: ignore[arg-type]


def working_incident() -> Incident:
    incident, agent = make_assigned_incident()
    return incidents.transition_incident(actor=agent, incident=incident, to="in_progress")


# --- raising and editing ----------------------------------------------------------------------


def test_a_problem_manager_raises_a_numbered_audited_problem() -> None:
    manager = make_problem_manager()
    problem = services.open_problem(actor=manager, title="Mail stops", description="Nightly.")
    assert problem.number.startswith("PRB")
    assert (problem.state, problem.requester, problem.kind) == ("new", manager, "problems.problem")
    assert actions(problem) == ["problem.created"]


@pytest.mark.parametrize("maker", [make_agent, make_person])
def test_agents_and_requesters_may_not_raise_problems(maker: object) -> None:
    with pytest.raises(Forbidden):
        services.open_problem(actor=maker(), title="Mail stops")  # type: ignore[operator]
    assert not Problem.objects.exists()


def test_requesters_see_no_problem_not_even_their_organisations() -> None:
    organisation = make_organisation(requesters_see_organisation=True)
    requester = make_person(organisation=organisation)
    problem = make_problem(organisation=organisation)
    assert not Problem.objects.visible_to(requester).exists()
    assert not Ticket.objects.visible_to(requester).filter(pk=problem.pk).exists()
    with pytest.raises(NotFound):
        services.update_problem(actor=requester, problem=problem, title="Mine")
    assert Problem.objects.get(pk=problem.pk).title == problem.title


def test_a_problems_requester_is_staff_who_may_see_problems() -> None:
    manager, requester = make_problem_manager(), make_person()
    with pytest.raises(RuleViolation):
        services.open_problem(actor=None, title="Mail stops", requester=requester)
    problem = make_problem()
    with pytest.raises(RuleViolation):
        services.update_problem(actor=manager, problem=problem, requester=requester)
    assert Problem.objects.get().requester_id == problem.requester_id


def test_an_agent_sees_problems_but_may_not_edit_them() -> None:
    agent, problem = make_agent(), make_problem()
    assert Problem.objects.visible_to(agent).filter(pk=problem.pk).exists()
    with pytest.raises(Forbidden):
        services.update_problem(actor=agent, problem=problem, title="Changed")
    with pytest.raises(Forbidden):
        services.record_analysis(actor=agent, problem=problem, method="five_whys", data=FIVE_WHYS)
    assert Problem.objects.get(pk=problem.pk).version == problem.version


def test_editing_changes_ticket_and_own_fields_in_one_version() -> None:
    manager, problem = make_problem_manager(), make_problem()
    edited = services.update_problem(
        actor=manager, problem=problem, title="Mail stops at 2am", workaround="Restart it."
    )
    assert (edited.title, edited.workaround, edited.version) == (
        "Mail stops at 2am",
        "Restart it.",
        problem.version + 1,
    )
    assert actions(problem).count("problem.updated") == 2


def test_script_in_a_workaround_is_refused_and_nothing_changes() -> None:
    manager, problem = make_problem_manager(), make_problem()
    with pytest.raises(RuleViolation) as caught:
        services.update_problem(
            actor=manager, problem=problem, workaround="<script>alert(1)</script>"
        )
    assert "workaround" in caught.value.message_dict
    assert Problem.objects.get(pk=problem.pk).workaround == ""


# --- analysis and the workflow ----------------------------------------------------------------


def test_the_analysis_is_stored_per_method_and_audited() -> None:
    manager, problem = make_problem_manager(), make_problem()
    analysed = services.record_analysis(
        actor=manager,
        problem=problem,
        method="ishikawa",
        data={"effect": "Mail stops", "causes": {"process": ["No backup window"]}},
        root_cause="Backup overlaps the mail peak.",
    )
    assert analysed.rca_method == "ishikawa"
    assert analysed.rca_data == {
        "effect": "Mail stops",
        "causes": {"process": ["No backup window"]},
    }
    assert "problem.analysed" in actions(problem)
    with pytest.raises(RuleViolation):
        services.record_analysis(actor=manager, problem=problem, method="ishikawa", data={})
    assert Problem.objects.get(pk=problem.pk).rca_data == analysed.rca_data


def test_a_known_error_needs_a_root_cause_and_a_workaround() -> None:
    manager, problem = make_problem_manager(), make_problem()
    problem = services.transition_problem(actor=manager, problem=problem, to="assessed")
    with pytest.raises(RuleViolation) as caught:
        services.transition_problem(actor=manager, problem=problem, to="known_error")
    assert "root cause and a workaround" in " ".join(caught.value.messages)
    fresh = Problem.objects.get(pk=problem.pk)
    assert (fresh.state, fresh.known_error_at) == ("assessed", None)
    services.update_problem(actor=manager, problem=fresh, root_cause="Lock.", workaround="Restart.")
    known = services.transition_problem(actor=manager, problem=fresh, to="known_error")
    assert known.state == "known_error"
    assert Problem.objects.get(pk=problem.pk).known_error_at is not None
    with pytest.raises(RuleViolation):  # a known error keeps its workaround
        services.update_problem(actor=manager, problem=known, workaround="")


def test_a_fix_starts_once_the_change_is_named_and_a_ticket_number_links_it() -> None:
    manager, problem = make_problem_manager(), make_known_error()
    with pytest.raises(RuleViolation):
        services.transition_problem(actor=manager, problem=problem, to="fix_in_progress")
    change = make_ticket()
    problem = services.set_fix(actor=manager, problem=problem, reference=change.number.lower())
    assert (problem.fix_ticket_id, problem.fix_reference) == (change.pk, change.number)
    problem = services.transition_problem(actor=manager, problem=problem, to="fix_in_progress")
    assert problem.state == "fix_in_progress"
    outside = services.set_fix(actor=manager, problem=problem, reference="RFC-77 (vendor)")
    assert (outside.fix_ticket_id, outside.fix_reference) == (None, "RFC-77 (vendor)")
    with pytest.raises(RuleViolation):
        services.set_fix(actor=manager, problem=outside, reference="")
    assert "problem.fix_set" in actions(problem)


def test_each_profile_declares_a_sound_problem_workflow() -> None:
    per_profile = workflow.workflows_for(Problem)
    assert per_profile["core"] is None
    full = per_profile["full"]
    assert full is not None
    assert [s.code for s in full.states] == [
        "new",
        "assessed",
        "root_cause_analysis",
        "known_error",
        "fix_in_progress",
        "resolved",
        "closed",
    ]
    for declared in per_profile.values():
        if declared is not None:
            assert declared.problems() == []


# --- linked incidents -------------------------------------------------------------------------


def test_an_agent_links_incidents_in_bulk_each_audited_on_both_sides() -> None:
    agent, problem = make_agent(), make_problem()
    first, second = make_incident(), make_incident()
    links = services.link_incidents(actor=agent, problem=problem, incidents=[first, second, first])
    assert len(links) == 2
    assert set(services.linked_incidents(problem)) == {first, second}
    assert list(services.problems_of(first)) == [problem]
    assert actions(problem).count("ticket.linked") == 2
    assert "ticket.linked" in actions(first)
    # linking again keeps what is there
    assert services.link_incidents(actor=agent, problem=problem, incidents=[first]) == []


def test_an_incident_of_another_problem_refuses_the_whole_bulk() -> None:
    agent, problem, other = make_agent(), make_problem(), make_problem()
    taken, free = make_incident(), make_incident()
    services.link_incidents(actor=agent, problem=other, incidents=[taken])
    with pytest.raises(RuleViolation) as caught:
        services.link_incidents(actor=agent, problem=problem, incidents=[free, taken])
    assert other.number in " ".join(caught.value.messages)
    assert not services.linked_incidents(problem).exists()


def test_linking_an_incident_the_user_cannot_see_is_not_found_and_links_nothing() -> None:
    mine, theirs = make_organisation(), make_organisation()
    agent = make_agent(organisation=mine)
    accounts.update_person(actor=None, person=agent, serves_organisations=[mine])
    visible = make_incident(organisation=mine)
    hidden = make_incident(organisation=theirs)
    problem = make_problem(organisation=mine)
    with pytest.raises(NotFound):
        services.get_incidents_for(agent, ids=[visible.pk, hidden.pk])
    with pytest.raises(NotFound):
        services.link_incidents(actor=agent, problem=problem, incidents=[visible, hidden])
    assert not TicketLink.objects.exists()


def test_a_requester_cannot_link_their_incident_to_a_problem() -> None:
    requester = make_person()
    incident = make_incident(requester=requester)
    with pytest.raises(NotFound):
        services.link_incidents(actor=requester, problem=make_problem(), incidents=[incident])
    assert not TicketLink.objects.exists()


def test_unlinking_removes_the_links_and_audits_it() -> None:
    agent, problem = make_agent(), make_problem()
    incident = make_incident()
    services.link_incidents(actor=agent, problem=problem, incidents=[incident])
    assert services.unlink_incidents(actor=agent, problem=problem, incidents=[incident]) == 1
    assert not services.linked_incidents(problem).exists()
    assert "ticket.unlinked" in actions(problem)
    with pytest.raises(RuleViolation):
        services.unlink_incidents(actor=agent, problem=problem, incidents=[incident])


def test_problem_links_refuse_cycles_of_causes() -> None:
    manager = make_problem_manager()
    a, b, c = make_problem(), make_problem(), make_problem()
    services.link_problems(actor=manager, problem=a, cause=b)
    services.link_problems(actor=manager, problem=b, cause=c)
    for problem, cause in ((c, a), (b, a)):
        with pytest.raises(RuleViolation) as caught:
            services.link_problems(actor=manager, problem=problem, cause=cause)
        assert "no cycles" in " ".join(caught.value.messages)
    assert TicketLink.objects.count() == 2


# --- the known-error actions ------------------------------------------------------------------


def test_applying_a_workaround_writes_a_note_links_counts_and_audits() -> None:
    problem = make_known_error()
    incident, agent = make_assigned_incident()
    note = services.apply_workaround(actor=agent, problem=problem, incident=incident)
    assert not note.is_public and "Restart the *mail transport* service." in note.body
    assert Problem.objects.get(pk=problem.pk).workaround_uses == 1
    assert list(services.problems_of(incident)) == [problem]
    assert "problem.workaround_applied" in actions(problem)
    assert "incident.workaround_applied" in actions(incident)


def test_only_a_known_errors_workaround_is_applied() -> None:
    problem = make_problem(workaround="Restart it.")
    incident, agent = make_assigned_incident()
    with pytest.raises(RuleViolation):
        services.apply_workaround(actor=agent, problem=problem, incident=incident)
    assert not Comment.objects.filter(ticket=incident).exists()
    assert Problem.objects.get(pk=problem.pk).workaround_uses == 0


def test_the_open_linked_incidents_are_resolved_together_and_refusals_reported() -> None:
    manager, problem = make_problem_manager(), make_fixing()
    working = [working_incident(), working_incident()]
    untouched = make_incident()  # new: the incident workflow does not resolve it from there
    services.link_incidents(actor=manager, problem=problem, incidents=[*working, untouched])
    outcome = services.resolve_linked_incidents(
        actor=manager, problem=problem, resolution="Fixed by the change."
    )
    assert {i.pk for i in outcome.resolved} == {i.pk for i in working}
    assert [i.pk for i, _why in outcome.refused] == [untouched.pk]
    for incident in working:
        fresh = Incident.objects.get(pk=incident.pk)
        assert (fresh.state, fresh.resolution_code) == ("resolved", "resolved_by_change")
        assert "incident.transitioned" in actions(fresh)
    assert Incident.objects.get(pk=untouched.pk).state == "new"
    assert "problem.incidents_resolved" in actions(problem)


def test_incidents_are_resolved_together_only_once_the_fix_is_in_and_by_managers() -> None:
    problem = make_known_error()
    with pytest.raises(RuleViolation):
        services.resolve_linked_incidents(
            actor=make_problem_manager(), problem=problem, resolution="Fixed."
        )
    with pytest.raises(Forbidden):
        services.resolve_linked_incidents(
            actor=make_agent(), problem=make_fixing(), resolution="Fixed."
        )
