"""Problem proposals: what trend detection found, and the problem manager's decision on it.

``detect_problems`` runs ``problems.trends.detect`` and records each cluster as a proposal:
a cluster it already proposed (or that was dismissed) is recognised by the incidents it shares
with that proposal, or else by its key (configuration item or service, category and leading
words), and updated rather than proposed twice. A dismissed cluster comes back only once it
holds more incidents than when it was dismissed. ``accept_proposal`` raises the problem
through ``open_problem`` and links the incidents through ``link_incidents``;
``dismiss_proposal`` needs a reason. Everything is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, policy
from steward.core.errors import Conflict, RuleViolation
from steward.incidents.models import Category, Incident
from steward.problems import trends
from steward.problems.choices import ProposalState
from steward.problems.models import Problem, ProblemProposal
from steward.problems.services.links import link_incidents
from steward.tickets.choices import Impact, LinkType, Urgency
from steward.tickets.models import TicketLink

TRACKED = ("state", "incident_count", "score", "terms", "title", "key")


@dataclass
class DetectionOutcome:
    """What a detection run recorded: new, updated and re-proposed proposals, and the
    clusters left alone (dismissed and not grown, or unchanged)."""

    detection: trends.Detection
    created: list[ProblemProposal] = field(default_factory=list)
    updated: list[ProblemProposal] = field(default_factory=list)
    reproposed: list[ProblemProposal] = field(default_factory=list)
    unchanged: list[ProblemProposal] = field(default_factory=list)
    still_dismissed: list[ProblemProposal] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        found = self.detection
        return {
            "window_days": found.window_days,
            "threshold": found.threshold,
            "min_similarity": found.min_similarity,
            "since": found.since.isoformat(),
            "until": found.until.isoformat(),
            "groups": found.groups,
            "incidents_read": found.incidents_read,
            "clusters": len(found.clusters),
            "created": [p.pk for p in self.created],
            "updated": [p.pk for p in self.updated],
            "reproposed": [p.pk for p in self.reproposed],
            "unchanged": [p.pk for p in self.unchanged],
            "still_dismissed": [p.pk for p in self.still_dismissed],
        }


def _check_detect_arguments(window_days: int | None, threshold: int | None) -> None:
    errors = {}
    if window_days is not None and not 1 <= window_days <= trends.MAX_WINDOW_DAYS:
        errors["window_days"] = f"Give a window of 1 to {trends.MAX_WINDOW_DAYS} days."
    if threshold is not None and not 2 <= threshold <= trends.MAX_THRESHOLD:
        errors["threshold"] = f"Give a threshold of 2 to {trends.MAX_THRESHOLD} incidents."
    if errors:
        raise RuleViolation(errors)


def _title(cluster: trends.Cluster, names: dict[int, str], categories: dict[int, str]) -> str:
    group = cluster.group
    place_id = group.configuration_item_id or group.service_id
    place = names.get(place_id or 0, "")
    words = ", ".join(cluster.terms[:3]) or "similar reports"
    title = f"Recurring incidents: {words}"
    if place:
        title += f" on {place}"
    if group.category_id is not None and group.category_id in categories:
        title += f" ({categories[group.category_id]})"
    return title[:200]


def _match(
    cluster: trends.Cluster, known: list[ProblemProposal], shared: dict[int, set[int]]
) -> ProblemProposal | None:
    """The proposal (proposed or dismissed) this cluster continues, if any: the one sharing
    the most incidents with it, else one with the same key."""
    ids = set(cluster.incident_ids)
    best, best_overlap = None, 0
    for proposal in known:
        overlap = len(ids & shared.get(proposal.pk, set()))
        if overlap > best_overlap:
            best, best_overlap = proposal, overlap
    if best is not None:
        return best
    return next((p for p in known if p.key == cluster.key), None)


def _values(
    cluster: trends.Cluster, names: dict[int, str], categories: dict[int, str], window: int
) -> dict[str, Any]:
    group = cluster.group
    return {
        "group_key": group.key,
        "key": cluster.key,
        "configuration_item_id": group.configuration_item_id,
        "service_id": group.service_id,
        "category_id": group.category_id,
        "terms": cluster.terms,
        "title": _title(cluster, names, categories),
        "incident_count": len(cluster.incidents),
        "score": cluster.score,
        "window_days": window,
        "first_incident_at": min(i.opened_at for i in cluster.incidents),
        "last_incident_at": max(i.opened_at for i in cluster.incidents),
    }


@transaction.atomic
def detect_problems(
    *,
    actor: Person | None,
    window_days: int | None = None,
    threshold: int | None = None,
    min_similarity: float | None = None,
    at: datetime | None = None,
) -> DetectionOutcome:
    """Run trend detection and record its clusters as proposals (idempotent).

    ``actor`` is ``None`` for the schedule and the command line; a person needs the right to
    add proposals (problem managers).
    """
    if actor is not None:
        policy.require_add(actor, ProblemProposal)
    _check_detect_arguments(window_days, threshold)
    if min_similarity is not None and not 0 < min_similarity <= 1:
        raise RuleViolation({"min_similarity": "Give a similarity above 0, at most 1."})
    found = trends.detect(
        window_days=window_days, threshold=threshold, min_similarity=min_similarity, at=at
    )
    outcome = DetectionOutcome(found)
    if not found.clusters:
        return outcome
    group_keys = {c.group.key for c in found.clusters}
    known_rows = list(
        ProblemProposal.objects.select_for_update()
        .filter(group_key__in=group_keys)
        .exclude(state=ProposalState.ACCEPTED)
        .order_by("pk")
    )
    known: dict[str, list[ProblemProposal]] = {}
    for proposal in known_rows:
        known.setdefault(proposal.group_key, []).append(proposal)
    shared: dict[int, set[int]] = {}
    through = ProblemProposal.incidents.through
    for proposal_id, incident_id in through.objects.filter(
        problemproposal_id__in=[p.pk for p in known_rows]
    ).values_list("problemproposal_id", "incident_id"):
        shared.setdefault(proposal_id, set()).add(incident_id)
    place_ids = {
        place
        for c in found.clusters
        if (place := c.group.configuration_item_id or c.group.service_id) is not None
    }
    names = dict(ConfigurationItem.objects.filter(pk__in=place_ids).values_list("pk", "name"))
    category_ids = {c.group.category_id for c in found.clusters if c.group.category_id is not None}
    categories = {c.pk: str(c) for c in Category.objects.filter(pk__in=category_ids)}
    now = timezone.now()
    taken: set[int] = set()
    for cluster in found.clusters:
        candidates = [p for p in known.get(cluster.group.key, []) if p.pk not in taken]
        matched = _match(cluster, candidates, shared)
        values = _values(cluster, names, categories, found.window_days)
        if matched is None:
            proposal = ProblemProposal.objects.create(**values, detected_at=now, updated_at=now)
            proposal.incidents.set(cluster.incident_ids)
            audit.record(
                actor=actor,
                action="problem_proposal.proposed",
                obj=proposal,
                changes={**audit.snapshot(proposal, TRACKED), "incidents": cluster.incident_ids},
                object_repr=proposal.title,
            )
            outcome.created.append(proposal)
            continue
        proposal = matched
        taken.add(proposal.pk)
        if proposal.state == ProposalState.DISMISSED and len(cluster.incidents) <= (
            proposal.dismissed_count or 0
        ):
            outcome.still_dismissed.append(proposal)
            continue
        before = {
            **audit.snapshot(proposal, TRACKED),
            "incidents": sorted(shared.get(proposal.pk, set())),
        }
        reproposed = proposal.state == ProposalState.DISMISSED
        for name, value in values.items():
            setattr(proposal, name, value)
        proposal.state = ProposalState.PROPOSED
        after = {**audit.snapshot(proposal, TRACKED), "incidents": sorted(cluster.incident_ids)}
        changed = audit.diff(before, after)
        if not changed:
            outcome.unchanged.append(proposal)
            continue
        proposal.updated_at = now
        proposal.version += 1
        proposal.save()
        proposal.incidents.set(cluster.incident_ids)
        audit.record(
            actor=actor,
            action="problem_proposal.reproposed" if reproposed else "problem_proposal.updated",
            obj=proposal,
            changes=changed,
            object_repr=proposal.title,
        )
        (outcome.reproposed if reproposed else outcome.updated).append(proposal)
    return outcome


def _locked(
    actor: Person, proposal: ProblemProposal, expected_version: int | None
) -> ProblemProposal:
    policy.require(actor, "change", proposal)
    locked: ProblemProposal = ProblemProposal.objects.select_for_update().get(pk=proposal.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    if locked.state != ProposalState.PROPOSED:
        raise RuleViolation(
            {"state": f"This proposal is already {locked.get_state_display().lower()}."}
        )
    return locked


def _description(proposal: ProblemProposal, incidents: list[Incident]) -> str:
    lines = [
        f"Raised from a trend: {proposal.incident_count} incidents in {proposal.window_days} days",
    ]
    if proposal.configuration_item_id:
        lines.append(f"- Configuration item: {proposal.configuration_item}")
    if proposal.service_id:
        lines.append(f"- Service: {proposal.service}")
    if proposal.category_id:
        lines.append(f"- Category: {proposal.category}")
    if proposal.terms:
        lines.append(f"- Shared words: {', '.join(proposal.terms)}")
    lines.append(f"- Text similarity: {proposal.score:.2f}")
    lines.append(f"- Incidents: {', '.join(i.number for i in incidents[:50])}")
    if len(incidents) > 50:
        lines[-1] += f" and {len(incidents) - 50} more"
    return "\n".join([lines[0] + ".", "", *lines[1:]])


@dataclass
class Acceptance:
    """The problem raised from a proposal, and the incidents left unlinked with why."""

    proposal: ProblemProposal
    problem: Problem
    linked: list[Incident] = field(default_factory=list)
    skipped: list[tuple[Incident, str]] = field(default_factory=list)


@transaction.atomic
def accept_proposal(
    *,
    actor: Person,
    proposal: ProblemProposal,
    title: str = "",
    expected_version: int | None = None,
) -> Acceptance:
    """Raise a problem from the proposal with its incidents linked (problem managers).

    Incidents the manager may not change, or that another problem explains meanwhile, are
    left out and reported; the rest are linked.
    """
    locked = _locked(actor, proposal, expected_version)
    policy.require_add(actor, Problem)
    chosen = list(locked.incidents.all().order_by("pk"))
    explained = set(
        TicketLink.objects.filter(
            source__in=[i.pk for i in chosen],
            link_type=LinkType.CAUSED_BY,
            target__kind="problems.problem",
        ).values_list("source_id", flat=True)
    )
    linkable: list[Incident] = []
    skipped: list[tuple[Incident, str]] = []
    for incident in chosen:
        if incident.pk in explained:
            skipped.append((incident, "already linked to a problem"))
        elif not policy.can(actor, "change", incident):
            skipped.append((incident, "not yours to change"))
        else:
            linkable.append(incident)
    if not linkable:
        raise RuleViolation(
            {"incidents": "None of the proposal's incidents can be linked any more: dismiss it."}
        )
    from steward.problems.services import open_problem

    problem = open_problem(
        actor=actor,
        title=(title or locked.title).strip()[:200],
        description=_description(locked, chosen),
        configuration_item=locked.configuration_item,
        service=locked.service,
        impact=Impact.MEDIUM if len(chosen) >= 10 else Impact.LOW,
        urgency=Urgency.LOW,
    )
    link_incidents(actor=actor, problem=problem, incidents=linkable)
    before = audit.snapshot(locked, ("state",))
    locked.state = ProposalState.ACCEPTED
    locked.problem = problem
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.updated_at = locked.decided_at
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        action="problem_proposal.accepted",
        obj=locked,
        changes={
            **audit.diff(before, audit.snapshot(locked, ("state",))),
            "problem": problem.number,
            "linked": [i.number for i in linkable],
            "skipped": [i.number for i, _ in skipped],
        },
        object_repr=locked.title,
    )
    return Acceptance(locked, problem, linkable, skipped)


@transaction.atomic
def dismiss_proposal(
    *,
    actor: Person,
    proposal: ProblemProposal,
    reason: str,
    expected_version: int | None = None,
) -> ProblemProposal:
    """Dismiss a proposal with a reason; it comes back only if its cluster grows."""
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation({"reason": "Say why the incidents do not make a problem."})
    if len(reason) > 2000:
        raise RuleViolation({"reason": "At most 2,000 characters."})
    locked = _locked(actor, proposal, expected_version)
    before = audit.snapshot(locked, ("state", "decision_reason"))
    locked.state = ProposalState.DISMISSED
    locked.decision_reason = reason
    locked.dismissed_count = locked.incident_count
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.updated_at = locked.decided_at
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        action="problem_proposal.dismissed",
        obj=locked,
        changes={
            **audit.diff(before, audit.snapshot(locked, ("state", "decision_reason"))),
            "dismissed_count": locked.dismissed_count,
        },
        object_repr=locked.title,
    )
    return locked


def proposal_incidents(proposal: ProblemProposal, user: Person) -> Any:
    """The proposal's incidents that ``user`` may see (the evidence on its page)."""
    return proposal.incidents.visible_to(user)


__all__ = [
    "Acceptance",
    "DetectionOutcome",
    "accept_proposal",
    "detect_problems",
    "dismiss_proposal",
    "proposal_incidents",
]
