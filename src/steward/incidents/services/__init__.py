"""Every write to incidents (categories and routing in their own modules). Actor first, audited.

Incidents are tickets: they are opened through ``tickets.services.create_ticket`` and change
state only through ``core.workflow.transition`` (here via ``tickets.services``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts.choices import SupportLine
from steward.accounts.models import Person, Team
from steward.core import audit, policy, workflow
from steward.core.errors import Conflict, Forbidden, RuleViolation
from steward.core.workflow import Category as StateCategory
from steward.incidents.choices import IncidentContactType, IncidentHoldReason, IncidentState
from steward.incidents.models import Category, Incident
from steward.incidents.services.assignment import (
    RULE_FIELDS,
    _assign,
    apply_assignment_rules,
    available_members,
    create_assignment_rule,
    delete_assignment_rule,
    matching_rule,
    pick_member,
    update_assignment_rule,
)
from steward.incidents.services.categories import (
    CATEGORY_FIELDS,
    _check_categories,
    create_category,
    update_category,
)
from steward.tickets import services as tickets
from steward.tickets.models import Comment

#: Incident fields changed with ``update_incident`` (the ticket's own go to ``update_ticket``).
INCIDENT_FIELDS = ("category", "subcategory", "contact_type", "hold_reason")

#: What ``services`` offers: the incident services below, and those of its two rooms
#: (``categories``, ``assignment``), so callers keep writing ``services.open_incident``.
__all__ = [
    "CATEGORY_FIELDS",
    "RULE_FIELDS",
    "_assign",
    "_check_categories",
    "apply_assignment_rules",
    "available_members",
    "create_assignment_rule",
    "create_category",
    "delete_assignment_rule",
    "matching_rule",
    "pick_member",
    "update_assignment_rule",
    "update_category",
    "INCIDENT_FIELDS",
    "close_resolved",
    "comment_on_incident",
    "edit_incident",
    "escalate",
    "on_requester_reply",
    "open_incident",
    "reassign",
    "resolve_incident",
    "transition_incident",
    "update_incident",
]


# --- incidents --------------------------------------------------------------------------------


@transaction.atomic
def open_incident(
    *,
    actor: Person | None,
    title: str,
    requester: Person | None = None,
    category: Category | None = None,
    subcategory: Category | None = None,
    contact_type: str = IncidentContactType.PORTAL,
    **values: Any,
) -> Incident:
    """Open an incident; without a team, the assignment rules route it."""
    _check_categories(category, subcategory)
    incident: Incident = tickets.create_ticket(
        actor=actor,
        model=Incident,
        title=title,
        requester=requester,
        category=category,
        subcategory=subcategory,
        contact_type=contact_type,
        **values,
    )
    return apply_assignment_rules(incident=incident, just_opened=True)


@transaction.atomic
def update_incident(
    *,
    actor: Person | None,
    incident: Incident,
    expected_version: int | None = None,
    **changes: Any,
) -> Incident:
    """Change an incident's fields: its own (category, contact type) and the ticket's.

    Team and assignee change through ``reassign`` (counted), states through transitions.
    """
    if {"team", "assignee"} & set(changes):
        raise RuleViolation({"team": "Reassign the incident to change its team or assignee."})
    own = {k: v for k, v in changes.items() if k in INCIDENT_FIELDS}
    shared = {k: v for k, v in changes.items() if k not in INCIDENT_FIELDS}
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if actor is not None:
        policy.require(actor, "view", locked)
        if own and not policy.can(actor, "change", locked):
            raise Forbidden("Only the service desk may categorise an incident.")
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    version = locked.version
    if shared:
        locked = tickets.update_ticket(actor=actor, ticket=locked, **shared)
    if not own:
        return locked
    category = own.get("category", locked.category)
    subcategory = own.get("subcategory", locked.subcategory)
    misfit = subcategory is not None and (category is None or subcategory.parent_id != category.pk)
    if "category" in own and "subcategory" not in own and misfit:
        own["subcategory"] = subcategory = None  # the old subcategory no longer fits
    _check_categories(
        category,
        subcategory,
        new_category=getattr(category, "pk", None) != locked.category_id,
        new_subcategory=getattr(subcategory, "pk", None) != locked.subcategory_id,
    )
    if "contact_type" in own and own["contact_type"] not in IncidentContactType.values:
        raise RuleViolation({"contact_type": "Unknown contact type."})
    if "hold_reason" in own and own["hold_reason"] != locked.hold_reason:
        # Why it waits may change while it waits (the caller answered, now a vendor is
        # awaited); service level targets may pause for one reason and not another.
        if locked.state_category != StateCategory.WAITING:
            raise RuleViolation({"hold_reason": "Only an incident on hold has a hold reason."})
        if own["hold_reason"] not in IncidentHoldReason.values:
            raise RuleViolation({"hold_reason": "Choose why the incident waits."})
    before = audit.snapshot(locked, INCIDENT_FIELDS)
    for name, value in own.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, INCIDENT_FIELDS))
    if not changed:
        return locked
    if locked.version == version:
        locked.version += 1
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit.record(
        actor=actor,
        action="incident.updated",
        obj=locked,
        changes=changed,
        object_repr=locked.number,
    )
    return locked


def transition_incident(
    *,
    actor: Person | None,
    incident: Incident,
    to: str,
    values: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Move an incident to another state (the workflow engine decides and audits)."""
    moved: Incident = tickets.transition_ticket(
        actor=actor, ticket=incident, to=to, values=values, expected_version=expected_version
    )
    return moved


def resolve_incident(
    *,
    actor: Person | None,
    incident: Incident,
    resolution_code: str,
    resolution: str,
    expected_version: int | None = None,
) -> Incident:
    """Resolve with a resolution code and notes (both required)."""
    return transition_incident(
        actor=actor,
        incident=incident,
        to=IncidentState.RESOLVED,
        values={"resolution_code": resolution_code, "resolution": resolution},
        expected_version=expected_version,
    )


@transaction.atomic
def edit_incident(
    *,
    actor: Person | None,
    incident: Incident,
    expected_version: int | None = None,
    **changes: Any,
) -> Incident:
    """An edit from a generic entrance (the ticket page, ``PATCH /tickets/``): a change of
    team or assignee is a reassignment (counted), the rest an ordinary update."""
    hands = {name: changes.pop(name) for name in ("team", "assignee") if name in changes}
    if changes or not hands:
        incident = update_incident(
            actor=actor, incident=incident, expected_version=expected_version, **changes
        )
        expected_version = None  # checked once, by the first write
    if hands:
        team = hands.get("team", incident.team)
        assignee = hands.get("assignee", incident.assignee if "team" not in hands else None)
        if "team" in hands and "assignee" not in hands and incident.assignee is not None:
            same_team = team is not None and team.memberships.filter(person=incident.assignee)
            assignee = incident.assignee if same_team and same_team.exists() else None
        incident = reassign(
            actor=actor,
            incident=incident,
            team=team,
            assignee=assignee,
            expected_version=expected_version,
        )
    return incident


@transaction.atomic
def reassign(
    *,
    actor: Person | None,
    incident: Incident,
    team: Team | None,
    assignee: Person | None = None,
    expected_version: int | None = None,
) -> Incident:
    """Give the incident to another team or person by hand: counted and audited.

    Only a change of hands counts: the first assignment of an unassigned incident does not.
    """
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    if team is None and assignee is not None:
        raise RuleViolation({"team": "Choose the team the assignee works in."})
    if locked.team_id == getattr(team, "pk", None) and locked.assignee_id == getattr(
        assignee, "pk", None
    ):
        return locked
    had_owner = locked.team_id is not None or locked.assignee_id is not None
    before = {"team": locked.team_id, "assignee": locked.assignee_id}
    updated = tickets.update_ticket(actor=actor, ticket=locked, team=team, assignee=assignee)
    count = updated.reassignment_count + (1 if had_owner else 0)
    if had_owner:
        Incident.objects.filter(pk=updated.pk).update(reassignment_count=count)
        updated.reassignment_count = count
    audit.record(
        actor=actor,
        action="incident.reassigned",
        obj=updated,
        changes={
            "team": [before["team"], updated.team_id],
            "assignee": [before["assignee"], updated.assignee_id],
            "reassignment_count": [count - (1 if had_owner else 0), count],
        },
        object_repr=updated.number,
    )
    return updated


@transaction.atomic
def escalate(
    *, actor: Person | None, incident: Incident, expected_version: int | None = None
) -> Incident:
    """Hand the incident to the next support line (1st -> 2nd -> 3rd).

    The team is the first matching active assignment rule on that line (which also picks
    the member), else the first active team of that line (left for its queue to pick up).
    """
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    if not locked.is_open:
        raise RuleViolation({"state": "Only open incidents can be escalated."})
    current = locked.team.support_line if locked.team is not None else SupportLine.FIRST
    if current >= SupportLine.THIRD:
        raise RuleViolation({"team": "The incident is already with the 3rd line."})
    line = SupportLine(current + 1)
    rule = matching_rule(locked, support_line=line)
    team: Team | None
    if rule is not None:
        team, assignee = rule.team, pick_member(rule)
    else:
        team = Team.objects.active().filter(support_line=line).order_by("name", "pk").first()
        assignee = None
    if team is None:
        raise RuleViolation({"team": f"No active team works on the {line.label}."})
    before = {"team": locked.team_id, "assignee": locked.assignee_id}
    updated = tickets.update_ticket(actor=actor, ticket=locked, team=team, assignee=assignee)
    audit.record(
        actor=actor,
        action="incident.escalated",
        obj=updated,
        changes={
            "support_line": [int(current), int(line)],
            "team": [before["team"], updated.team_id],
            "assignee": [before["assignee"], updated.assignee_id],
            "rule": getattr(rule, "pk", None),
        },
        object_repr=updated.number,
    )
    return updated


# --- replies and reopening --------------------------------------------------------------------


@transaction.atomic
def on_requester_reply(*, incident: Incident, comment: Comment) -> Incident:
    """A public reply from the requester reopens a resolved incident inside its window.

    Outside the window (or for anybody else's reply) nothing happens: the reply is just a
    comment. The e-mail gateway and the portal call this after adding the comment.
    """
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    is_requester_reply = comment.is_public and comment.author_id == locked.requester_id
    if not is_requester_reply or not locked.can_reopen_by_requester(comment.created_at):
        return locked
    step = workflow.workflow_for(Incident).find(locked.state, IncidentState.IN_PROGRESS)
    if step is None:
        return locked
    return transition_incident(actor=comment.author, incident=locked, to=IncidentState.IN_PROGRESS)


@transaction.atomic
def comment_on_incident(
    *, actor: Person, incident: Incident, body: str, is_public: bool = True
) -> Comment:
    """A reply or work note on an incident; the requester's reply may reopen it."""
    comment = tickets.add_comment(actor=actor, ticket=incident, body=body, is_public=is_public)
    on_requester_reply(incident=incident, comment=comment)
    return comment


# --- guards and effects (registered in apps.py) -----------------------------------------------


def close_resolved(*, now: datetime | None = None, batch_size: int = 500) -> int:
    """Close resolved incidents whose reopening window has ended; returns how many.

    Each closes in its own transaction, as the system; one reopened meanwhile is skipped.
    Running it twice closes nothing more.
    """
    now = now or timezone.now()
    ids = list(
        Incident.objects.due_to_close(now)
        .order_by("auto_close_at", "pk")
        .values_list("pk", flat=True)[:batch_size]
    )
    closed = 0
    for pk in ids:
        try:
            with transaction.atomic():
                incident = Incident.objects.select_for_update().filter(pk=pk).first()
                if (
                    incident is None
                    or incident.state_category != StateCategory.RESOLVED
                    or incident.can_reopen_by_requester(now)
                ):
                    continue  # gone, reopened, or resolved again meanwhile
                transition_incident(actor=None, incident=incident, to=IncidentState.CLOSED)
        except (RuleViolation, Conflict):
            continue
        closed += 1
    return closed
