"""The known-error database at work: a workaround applied to an incident, and the incidents
of a fixed problem resolved together.

Applying a workaround is one action: it writes the workaround on the incident as a work note
(audited by the ticket), links the incident to the problem if it has no problem yet, counts
the use on the problem and audits it there. Resolving the linked incidents resolves each
in its own savepoint through the incident workflow; those the workflow refuses are reported,
the rest stay resolved.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F

from steward.accounts.models import Person
from steward.core import audit, policy
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.incidents import services as incidents
from steward.incidents.choices import IncidentResolutionCode
from steward.incidents.models import Incident
from steward.problems.choices import ProblemState
from steward.problems.models import Problem
from steward.problems.services import links
from steward.tickets import services as tickets
from steward.tickets.models import Comment

#: The states in which a problem's fix is in place or going in.
FIXED_STATES = frozenset({ProblemState.FIX_IN_PROGRESS, ProblemState.RESOLVED})


@dataclass
class ResolveOutcome:
    """What ``resolve_linked_incidents`` did: resolved incidents, and refusals with why."""

    resolved: list[Incident] = field(default_factory=list)
    refused: list[tuple[Incident, str]] = field(default_factory=list)


@transaction.atomic
def apply_workaround(*, actor: Person, problem: Problem, incident: Incident) -> Comment:
    """Apply a known error's workaround to an open incident (one action, recorded)."""
    policy.require(actor, "view", problem)
    policy.require(actor, "change", incident)
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if not locked.is_known_error or not locked.workaround.strip():
        raise RuleViolation({"workaround": f"{locked.number} is not a known error yet."})
    if not incident.is_open:
        raise RuleViolation({"incident": f"{incident.number} is no longer open."})
    note = tickets.add_comment(
        actor=actor,
        ticket=incident,
        body=f"Workaround from known error {locked.number} ({locked.title}):\n\n"
        f"{locked.workaround}",
        is_public=False,
    )
    if locked.is_open and not links.problems_of(incident).exists():
        links.link_incidents(actor=actor, problem=locked, incidents=[incident])
    Problem.objects.filter(pk=locked.pk).update(workaround_uses=F("workaround_uses") + 1)
    locked.workaround_uses += 1
    audit.record(
        actor=actor,
        action="problem.workaround_applied",
        obj=locked,
        changes={"incident": incident.number, "workaround_uses": locked.workaround_uses},
        object_repr=locked.number,
    )
    audit.record(
        actor=actor,
        action="incident.workaround_applied",
        obj=incident,
        changes={"problem": locked.number, "comment": note.pk},
        object_repr=incident.number,
    )
    return note


@transaction.atomic
def resolve_linked_incidents(
    *,
    actor: Person | None,
    problem: Problem,
    resolution: str,
    resolution_code: str = IncidentResolutionCode.RESOLVED_BY_CHANGE,
) -> ResolveOutcome:
    """Resolve the open incidents linked to a problem whose fix is in (problem managers).

    Each incident goes through the incident workflow as the actor would resolve it by hand;
    one that refuses (a new incident nobody works on, a concurrent change, no right) is
    reported and left as it was, and the others are resolved.
    """
    if actor is not None:
        policy.require(actor, "change", problem)
    if problem.state not in FIXED_STATES:
        raise RuleViolation(
            {"state": "Incidents are resolved together once the problem's fix is in progress."}
        )
    if not resolution.strip():
        raise RuleViolation({"resolution": "Say how the incidents were resolved."})
    if resolution_code not in IncidentResolutionCode.values:
        raise RuleViolation({"resolution_code": "Unknown resolution code."})
    outcome = ResolveOutcome()
    candidates = links.linked_incidents(problem).open().order_by("pk")
    for incident in candidates:
        try:
            with transaction.atomic():
                if actor is not None:
                    policy.require(actor, "change", incident)
                resolved = incidents.resolve_incident(
                    actor=actor,
                    incident=incident,
                    resolution_code=resolution_code,
                    resolution=resolution,
                )
        except (RuleViolation, Forbidden, NotFound, Conflict) as exc:
            message = " ".join(getattr(exc, "messages", [str(exc)]))
            outcome.refused.append((incident, message))
        else:
            outcome.resolved.append(resolved)
    audit.record(
        actor=actor,
        action="problem.incidents_resolved",
        obj=problem,
        changes={
            "resolved": [i.number for i in outcome.resolved],
            "refused": [i.number for i, _ in outcome.refused],
        },
        object_repr=problem.number,
    )
    return outcome
