"""Factories for problems: plain functions with defaults."""

from __future__ import annotations

import itertools
from typing import Any

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_person
from steward.problems import services
from steward.problems.choices import ProblemState, RcaMethod
from steward.problems.models import Problem, ProblemProposal

_seq = itertools.count(1)

FIVE_WHYS = {
    "problem_statement": "Mail stops after the nightly backup.",
    "whys": ["The mail queue fills.", "The backup locks the store."],
}


def make_problem_manager(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.PROBLEM_MANAGER], **overrides)


def make_problem(**overrides: Any) -> Problem:
    n = next(_seq)
    values: dict[str, Any] = {"title": f"Mail {n} stops every night", "description": "Since May."}
    values.update(overrides)
    actor = values.pop("actor", None)
    if "requester" not in values and actor is None:
        values["requester"] = make_problem_manager(organisation=values.pop("organisation", None))
    values.pop("organisation", None)  # problems belong to no organisation
    return services.open_problem(actor=actor, **values)


def make_known_error(**overrides: Any) -> Problem:
    """A problem analysed (5 whys) with a root cause and workaround, now a known error."""
    problem = make_problem(**overrides)
    problem = services.record_analysis(
        actor=None,
        problem=problem,
        method=RcaMethod.FIVE_WHYS,
        data=FIVE_WHYS,
        root_cause="The backup job locks the mail store.",
        workaround="Restart the *mail transport* service.",
    )
    problem = services.transition_problem(actor=None, problem=problem, to=ProblemState.ASSESSED)
    return services.transition_problem(actor=None, problem=problem, to=ProblemState.KNOWN_ERROR)


def make_fixing(**overrides: Any) -> Problem:
    """A known error whose fix is in progress."""
    problem = make_known_error(**overrides)
    problem = services.set_fix(actor=None, problem=problem, reference="CHG0000042")
    return services.transition_problem(actor=None, problem=problem, to=ProblemState.FIX_IN_PROGRESS)


def make_proposal(incidents: int = 2, **overrides: Any) -> ProblemProposal:
    """A proposal as detection records it, over ``incidents`` new incidents on one CI.

    (Detection itself is exercised in test_trends; this is the row it leaves.)"""
    from steward.cmdb.tests.factories import make_ci
    from steward.incidents.tests.factories import make_incident

    n = next(_seq)
    ci = overrides.pop("configuration_item", None) or make_ci()
    made = [
        make_incident(title=f"Disk {n} full again", configuration_item=ci) for _ in range(incidents)
    ]
    values: dict[str, Any] = {
        "group_key": f"ci:{ci.pk}|category:-",
        "key": f"ci:{ci.pk}|category:-|disk full",
        "configuration_item": ci,
        "title": f"Recurring incidents: disk {n}, full on {ci.name}",
        "terms": ["disk", "full"],
        "incident_count": incidents,
        "score": 0.8,
        "first_incident_at": made[0].opened_at,
        "last_incident_at": made[-1].opened_at,
    }
    values.update(overrides)
    proposal = ProblemProposal.objects.create(**values)
    proposal.incidents.set(made)
    return proposal
