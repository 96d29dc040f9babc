"""Major incidents: declaring and standing down, the communication log, child incidents,
and the post-incident review. Actor first, one transaction each, every change audited.

Declaring needs the ``incidents.declare_major_incident`` permission (incident managers and
administrators, ``accounts.roles``); the rest needs the right to change the incident.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.core import audit, markdown, policy, workflow
from steward.core.errors import Forbidden, RuleViolation, refuse_unknown
from steward.core.workflow import Category as StateCategory
from steward.incidents.choices import (
    REVIEW_STEPS,
    MajorIncidentAudience,
    ReviewStatus,
)
from steward.incidents.models import (
    Incident,
    MajorIncidentUpdate,
    PostIncidentReview,
    ReviewAction,
)
from steward.tickets import services as tickets
from steward.tickets.choices import Impact, LinkType, Urgency
from steward.tickets.models import TicketLink

DECLARE_PERMISSION = "incidents.declare_major_incident"
MAJOR_FIELDS = ("is_major", "major_declared_at", "major_declared_by", "major_manager")
REVIEW_FIELDS = ("summary", "timeline", "root_cause", "went_well", "went_badly", "lessons")
ACTION_FIELDS = ("description", "owner", "due_on", "is_done")


def may_declare(actor: Person | None) -> bool:
    """May ``actor`` declare or stand down major incidents?"""
    return actor is None or bool(
        actor.is_authenticated and actor.is_active and actor.has_perm(DECLARE_PERMISSION)
    )


def _check_markdown(field: str, text: str) -> None:
    try:
        markdown.validate(text)
    except ValidationError as exc:  # the same clear message, on the field it is about
        raise RuleViolation({field: exc.messages}) from exc


def _lock(incident: Incident) -> Incident:
    locked: Incident = Incident.objects.select_for_update().get(pk=incident.pk)
    return locked


def _check_manager(actor: Person | None, manager: Person | None) -> None:
    if manager is None:
        raise RuleViolation({"manager": "Name the major-incident manager."})
    if not manager.is_active or not manager.is_staff_member:
        raise RuleViolation({"manager": "The manager must be active staff."})
    if actor is not None and not policy.can(actor, "view", manager):
        raise RuleViolation({"manager": "Choose one you can see."})


@transaction.atomic
def declare_major(
    *, actor: Person | None, incident: Incident, manager: Person | None, reason: str
) -> Incident:
    """Declare ``incident`` a major incident run by ``manager``.

    It gets the highest impact and urgency (so the priority matrix puts it first, and
    editing it later keeps it there) and is flagged in every queue.
    """
    locked = _lock(incident)
    if actor is not None:
        policy.require(actor, "view", locked)
        if not may_declare(actor):
            raise Forbidden("Only incident managers may declare major incidents.")
        policy.require(actor, "change", locked)
    if not locked.is_open:
        raise RuleViolation({"state": "Only an open incident can become a major incident."})
    if locked.is_major:
        raise RuleViolation({"is_major": f"{locked.number} is already a major incident."})
    if not reason.strip():
        raise RuleViolation({"reason": "Say why this is a major incident."})
    _check_manager(actor, manager)
    if (locked.impact, locked.urgency) != (Impact.HIGH, Urgency.HIGH):
        locked = tickets.update_ticket(
            actor=actor, ticket=locked, impact=Impact.HIGH, urgency=Urgency.HIGH
        )
    before = audit.snapshot(locked, MAJOR_FIELDS)
    locked.is_major = True
    locked.major_declared_at = timezone.now()
    locked.major_declared_by = actor
    locked.major_manager = manager
    locked.version += 1
    locked.updated_at = locked.major_declared_at
    locked.save(update_fields=[*MAJOR_FIELDS, "version", "updated_at"])
    audit.record(
        actor=actor,
        action="incident.major_declared",
        obj=locked,
        changes={**audit.diff(before, audit.snapshot(locked, MAJOR_FIELDS)), "reason": reason},
        object_repr=locked.number,
    )
    return locked


@transaction.atomic
def stand_down_major(*, actor: Person | None, incident: Incident, reason: str) -> Incident:
    """It is not (or no longer) a major incident. Its log, children and review stay."""
    locked = _lock(incident)
    if actor is not None:
        policy.require(actor, "view", locked)
        if not may_declare(actor):
            raise Forbidden("Only incident managers may stand down major incidents.")
        policy.require(actor, "change", locked)
    if not locked.is_major:
        raise RuleViolation({"is_major": f"{locked.number} is not a major incident."})
    if not reason.strip():
        raise RuleViolation({"reason": "Say why the major incident stands down."})
    before = audit.snapshot(locked, MAJOR_FIELDS)
    locked.is_major = False
    locked.major_declared_at = None
    locked.major_declared_by = None
    locked.major_manager = None
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=[*MAJOR_FIELDS, "version", "updated_at"])
    audit.record(
        actor=actor,
        action="incident.major_stood_down",
        obj=locked,
        changes={**audit.diff(before, audit.snapshot(locked, MAJOR_FIELDS)), "reason": reason},
        object_repr=locked.number,
    )
    return locked


@transaction.atomic
def change_major_manager(*, actor: Person | None, incident: Incident, manager: Person) -> Incident:
    """Hand the running of a major incident to another manager."""
    locked = _lock(incident)
    if actor is not None:
        policy.require(actor, "view", locked)
        if not may_declare(actor):
            raise Forbidden("Only incident managers may change the major-incident manager.")
    if not locked.is_major:
        raise RuleViolation({"is_major": f"{locked.number} is not a major incident."})
    _check_manager(actor, manager)
    before = audit.snapshot(locked, ("major_manager",))
    locked.major_manager = manager
    changed = audit.diff(before, audit.snapshot(locked, ("major_manager",)))
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["major_manager", "version", "updated_at"])
    audit.record(
        actor=actor,
        action="incident.updated",
        obj=locked,
        changes=changed,
        object_repr=locked.number,
    )
    return locked


# --- the communication log --------------------------------------------------------------------


def open_children(incident: Incident) -> Any:
    """The open incidents under ``incident`` (parent/child links), by id."""
    return Incident.objects.filter(
        links_in__source=incident,
        links_in__link_type=LinkType.PARENT_OF,
        state_category__in=StateCategory.OPEN,
    ).order_by("pk")


@transaction.atomic
def post_update(
    *, actor: Person, incident: Incident, audience: str, body: str
) -> MajorIncidentUpdate:
    """Append an update to a major incident's communication log.

    A ``customers`` update is also a public reply on the incident and on each of its open
    children, so every affected requester reads it where they look.
    """
    policy.require(actor, "change", incident)
    policy.require_add(actor, MajorIncidentUpdate)
    if not incident.is_major:
        raise RuleViolation({"incident": f"{incident.number} is not a major incident."})
    if audience not in MajorIncidentAudience.values:
        raise RuleViolation({"audience": "Choose internal, stakeholders or customers."})
    if not body.strip():
        raise RuleViolation({"body": "Write the update."})
    _check_markdown("body", body)
    comment = None
    if audience == MajorIncidentAudience.CUSTOMERS:
        comment = tickets.add_comment(actor=actor, ticket=incident, body=body, is_public=True)
        for child in open_children(incident):
            tickets.add_comment(actor=actor, ticket=child, body=body, is_public=True)
    update = MajorIncidentUpdate.objects.create(
        incident=incident, audience=audience, author=actor, body=body, comment=comment
    )
    audit.record(
        actor=actor,
        action="incident.major_update_posted",
        obj=incident,
        changes={"update": update.pk, "audience": audience},
        object_repr=incident.number,
    )
    return update


# --- child incidents --------------------------------------------------------------------------


def _ancestors(incident: Incident) -> set[int]:
    """Ids above ``incident`` through parent links (itself excluded)."""
    seen: set[int] = set()
    frontier = {incident.pk}
    while frontier:
        parents = set(
            TicketLink.objects.filter(
                target_id__in=frontier, link_type=LinkType.PARENT_OF
            ).values_list("source_id", flat=True)
        )
        frontier = parents - seen
        seen |= parents
    return seen


@transaction.atomic
def attach_children(
    *, actor: Person, parent: Incident, children: Iterable[Incident]
) -> list[TicketLink]:
    """Make each of ``children`` a child of ``parent``: all of them, or none.

    Refused (every reason listed under ``children``): the parent itself, incidents that are
    no longer open, incidents above the parent (a cycle), incidents with another parent, and
    ones already attached.
    """
    policy.require(actor, "change", parent)
    chosen = list(dict.fromkeys(children))
    if not chosen:
        raise RuleViolation({"children": "Choose at least one incident."})
    if not parent.is_open:
        raise RuleViolation({"children": f"{parent.number} is no longer open."})
    ancestors = _ancestors(parent)
    ids = [child.pk for child in chosen]
    parents_of = dict(
        TicketLink.objects.filter(target_id__in=ids, link_type=LinkType.PARENT_OF).values_list(
            "target_id", "source_id"
        )
    )
    problems: list[str] = []
    for child in chosen:
        if not policy.can(actor, "view", child):
            problems.append(f"No incident {child.number} that you can see.")
        elif child.pk == parent.pk:
            problems.append(f"{child.number} cannot be its own child.")
        elif not child.is_open:
            problems.append(f"{child.number} is no longer open.")
        elif child.pk in ancestors:
            problems.append(f"{child.number} is already above {parent.number}.")
        elif parents_of.get(child.pk) == parent.pk:
            problems.append(f"{child.number} is already a child of {parent.number}.")
        elif child.pk in parents_of:
            problems.append(f"{child.number} already has another parent.")
    if problems:
        raise RuleViolation({"children": problems})
    links = [
        tickets.link_tickets(actor=actor, source=parent, target=child, link_type=LinkType.PARENT_OF)
        for child in chosen
    ]
    audit.record(
        actor=actor,
        action="incident.children_attached",
        obj=parent,
        changes={"children": [child.number for child in chosen]},
        object_repr=parent.number,
    )
    return links


def resolve_children(incident: Any, *, actor: Any = None, transition: Any = None, **_: Any) -> None:
    """Effect of resolving (closing, in ``core``) a parent: its open child incidents follow,
    with the parent's resolution code and notes, each audited as resolved with the parent.

    The system moves them (the person resolving the parent may not work on every child);
    the audit entry names that person. A child that cannot follow refuses the whole step.
    """
    target = transition.target if transition is not None else None
    if target is None:
        return
    flow = workflow.workflow_for(Incident)
    for child in open_children(incident):
        step = flow.find(child.state, target)
        if step is None:
            raise RuleViolation(
                {"state": f"{child.number} cannot be resolved from {child.state} with its parent."}
            )
        values: dict[str, Any] = {
            name: getattr(incident, name)
            for name in ("resolution_code", "resolution")
            if name in step.fields
        }
        previous = child.state
        moved = workflow.transition(child, to=target, actor=None, values=values)
        audit.record(
            actor=actor,
            action="incident.resolved_with_parent",
            obj=moved,
            changes={"parent": incident.number, "state": [previous, moved.state]},
            object_repr=moved.number,
        )


def children_resolvable(incident: Any, actor: Any) -> str | None:
    """Guard of resolving an incident: open children that are not incidents block it (open
    child incidents are resolved along with it, ``resolve_children``)."""
    from steward.tickets.models import Ticket

    blocking = (
        Ticket.objects.filter(
            links_in__source=incident,
            links_in__link_type=LinkType.PARENT_OF,
            state_category__in=StateCategory.OPEN,
        )
        .exclude(kind=Incident._meta.label_lower)
        .values_list("number", flat=True)
    )
    numbers = sorted(blocking)
    if numbers:
        return f"Resolve the child tickets first: {', '.join(numbers)}."
    return None


def parent_resolved(incident: Any, actor: Any) -> str | None:
    """Guard of "resolve with parent": only while a parent has just been resolved."""
    has_resolved_parent = Incident.objects.filter(
        links_out__target=incident,
        links_out__link_type=LinkType.PARENT_OF,
        state_category__in=(StateCategory.RESOLVED, StateCategory.CLOSED),
    ).exists()
    if has_resolved_parent:
        return None
    return "Only resolving its parent incident resolves this incident from here."


def review_completed(incident: Any, actor: Any) -> str | None:
    """Guard of closing (``full``): a major incident closes after its review is completed."""
    if not incident.is_major:
        return None
    review = PostIncidentReview.objects.filter(incident=incident).only("status").first()
    if review is None or not review.is_completed:
        return "Complete the post-incident review before closing this major incident."
    return None


# --- the post-incident review -----------------------------------------------------------------


def _check_review_texts(changes: dict[str, Any]) -> None:
    for name in REVIEW_FIELDS:
        if name in changes:
            _check_markdown(name, str(changes[name]))


@transaction.atomic
def start_review(*, actor: Person | None, incident: Incident, **texts: Any) -> PostIncidentReview:
    """Open the post-incident review of a major incident (one per incident)."""
    unknown = set(texts) - set(REVIEW_FIELDS)
    if unknown:
        raise RuleViolation({name: "This field cannot be set." for name in sorted(unknown)})
    if actor is not None:
        policy.require(actor, "change", incident)
        policy.require_add(actor, PostIncidentReview)
    if not incident.is_major:
        raise RuleViolation({"incident": f"{incident.number} is not a major incident."})
    if PostIncidentReview.objects.filter(incident=incident).exists():
        raise RuleViolation({"incident": f"{incident.number} already has a review."})
    _check_review_texts(texts)
    author = actor or incident.major_manager or incident.requester
    review = PostIncidentReview.objects.create(incident=incident, created_by=author, **texts)
    audit.record(
        actor=actor,
        action="post_incident_review.created",
        obj=review,
        changes=audit.diff({}, audit.snapshot(review, ("status", *REVIEW_FIELDS))),
        object_repr=f"Review of {incident.number}",
    )
    return review


def _lock_review(actor: Person | None, review: PostIncidentReview) -> PostIncidentReview:
    locked: PostIncidentReview = (
        PostIncidentReview.objects.select_for_update().select_related("incident").get(pk=review.pk)
    )
    if actor is not None:
        policy.require(actor, "change", locked)
    return locked


@transaction.atomic
def update_review(
    *, actor: Person | None, review: PostIncidentReview, **changes: Any
) -> PostIncidentReview:
    """Change the review's texts (its status moves with ``move_review``)."""
    refuse_unknown(changes, REVIEW_FIELDS)
    locked = _lock_review(actor, review)
    if locked.is_completed:
        raise RuleViolation({"status": "A completed review is reopened before it changes."})
    _check_review_texts(changes)
    before = audit.snapshot(locked, REVIEW_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, REVIEW_FIELDS))
    if not changed:
        return locked
    locked.updated_at = timezone.now()
    locked.save()
    audit.record(
        actor=actor,
        action="post_incident_review.updated",
        obj=locked,
        changes=changed,
        object_repr=f"Review of {locked.incident.number}",
    )
    return locked


@transaction.atomic
def move_review(*, actor: Person | None, review: PostIncidentReview, to: str) -> PostIncidentReview:
    """Draft -> in review -> completed (and back a step). Completing needs a summary, the
    root cause and the lessons."""
    locked = _lock_review(actor, review)
    if to not in REVIEW_STEPS.get(locked.status, ()):
        current = ReviewStatus(locked.status).label
        target = ReviewStatus(to).label if to in ReviewStatus.values else to
        raise RuleViolation({"status": f"A review cannot go from {current} to {target}."})
    if to == ReviewStatus.COMPLETED:
        missing = {
            name: "Required to complete the review."
            for name in ("summary", "root_cause", "lessons")
            if not getattr(locked, name).strip()
        }
        if missing:
            raise RuleViolation(missing)
    previous = locked.status
    locked.status = to
    locked.completed_at = timezone.now() if to == ReviewStatus.COMPLETED else None
    locked.updated_at = timezone.now()
    locked.save(update_fields=["status", "completed_at", "updated_at"])
    audit.record(
        actor=actor,
        action="post_incident_review.moved",
        obj=locked,
        changes={"status": [previous, to]},
        object_repr=f"Review of {locked.incident.number}",
    )
    return locked


def _check_owner(actor: Person | None, owner: Person | None) -> None:
    if owner is None:
        return
    if not owner.is_active or not owner.is_staff_member:
        raise RuleViolation({"owner": "The owner must be active staff."})
    if actor is not None and not policy.can(actor, "view", owner):
        raise RuleViolation({"owner": "Choose one you can see."})


@transaction.atomic
def add_review_action(
    *,
    actor: Person | None,
    review: PostIncidentReview,
    description: str,
    owner: Person | None = None,
    due_on: date | None = None,
) -> ReviewAction:
    """An action the review decided on."""
    locked = _lock_review(actor, review)
    if not description.strip():
        raise RuleViolation({"description": "Say what is to be done."})
    _check_owner(actor, owner)
    action = ReviewAction.objects.create(
        review=locked, description=description.strip(), owner=owner, due_on=due_on
    )
    audit.record(
        actor=actor,
        action="review_action.created",
        obj=action,
        changes=audit.diff({}, audit.snapshot(action, ACTION_FIELDS)),
        object_repr=action.description[:200],
    )
    return action


@transaction.atomic
def update_review_action(
    *, actor: Person | None, action: ReviewAction, **changes: Any
) -> ReviewAction:
    """Change an action; its owner may mark it done."""
    refuse_unknown(changes, ACTION_FIELDS)
    locked: ReviewAction = ReviewAction.objects.select_for_update().get(pk=action.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if "description" in changes and not str(changes["description"]).strip():
        raise RuleViolation({"description": "Say what is to be done."})
    if "owner" in changes:
        _check_owner(actor, changes["owner"])
    before = audit.snapshot(locked, ACTION_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, ACTION_FIELDS))
    if not changed:
        return locked
    if "is_done" in changed:
        locked.done_at = timezone.now() if locked.is_done else None
    locked.full_clean()
    locked.save()
    audit.record(
        actor=actor,
        action="review_action.updated",
        obj=locked,
        changes=changed,
        object_repr=locked.description[:200],
    )
    return locked
