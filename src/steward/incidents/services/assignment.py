"""Assignment rules and routing: which team (and member) a new or escalated incident goes to."""

from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, policy, workflow
from steward.core.errors import RuleViolation, refuse_unknown
from steward.core.workflow import Category as StateCategory
from steward.incidents.choices import AssignmentRuleMethod, IncidentState
from steward.incidents.models import AssignmentRule, Category, Incident
from steward.tickets import services as tickets

RULE_FIELDS = (
    "name",
    "order",
    "is_active",
    "category",
    "service",
    "configuration_item",
    "organisation",
    "contact_type",
    "team",
    "method",
)
#: Incident fields changed with ``update_incident`` (the ticket's own go to ``update_ticket``).


# --- assignment rules -------------------------------------------------------------------------


def _check_rule(rule: AssignmentRule) -> None:
    if not rule.team.is_active:
        raise RuleViolation({"team": f"{rule.team} is not active."})
    if rule.service is not None and not rule.service.is_service:
        raise RuleViolation({"service": f"{rule.service} is not a service."})


@transaction.atomic
def create_assignment_rule(
    *,
    actor: Person | None,
    name: str,
    team: Team,
    order: int = 100,
    is_active: bool = True,
    category: Category | None = None,
    service: ConfigurationItem | None = None,
    configuration_item: ConfigurationItem | None = None,
    organisation: Organisation | None = None,
    contact_type: str = "",
    method: str = AssignmentRuleMethod.ROUND_ROBIN,
) -> AssignmentRule:
    """A rule routing matching incidents to ``team`` (empty match fields match anything)."""
    if actor is not None:
        policy.require_add(actor, AssignmentRule)
    rule = AssignmentRule(
        name=name.strip(),
        team=team,
        order=order,
        is_active=is_active,
        category=category,
        service=service,
        configuration_item=configuration_item,
        organisation=organisation,
        contact_type=contact_type,
        method=method,
    )
    _check_rule(rule)
    rule.full_clean()
    rule.save()
    audit.record(
        actor=actor,
        action="assignment_rule.created",
        obj=rule,
        changes=audit.diff({}, audit.snapshot(rule, RULE_FIELDS)),
    )
    return rule


@transaction.atomic
def update_assignment_rule(
    *, actor: Person | None, rule: AssignmentRule, **changes: Any
) -> AssignmentRule:
    refuse_unknown(changes, RULE_FIELDS)
    locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    before = audit.snapshot(locked, RULE_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, RULE_FIELDS))
    if not changed:
        return locked
    _check_rule(locked)
    locked.full_clean()
    locked.save()
    audit.record(actor=actor, action="assignment_rule.updated", obj=locked, changes=changed)
    return locked


@transaction.atomic
def delete_assignment_rule(*, actor: Person | None, rule: AssignmentRule) -> None:
    if actor is not None:
        policy.require(actor, "delete", rule)
    audit.record(
        actor=actor,
        action="assignment_rule.deleted",
        obj=rule,
        changes=audit.diff(audit.snapshot(rule, RULE_FIELDS), {}),
    )
    rule.delete()


def available_members(team: Team) -> Any:
    """Who in ``team`` automatic assignment may pick: active staff who are not away."""
    return (
        Person.objects.filter(
            memberships__team=team, is_active=True, is_away=False, roles__is_staff_role=True
        )
        .distinct()
        .order_by("pk")
    )


def pick_member(rule: AssignmentRule) -> Person | None:
    """The member of the rule's team to assign (``None``: nobody is available).

    Round robin takes the next available member after the one it picked last, by id; its
    position is the rule row, locked so concurrent openings take turns. Least loaded takes
    the member with the fewest open tickets (of any kind), the lower id on a tie.
    """
    members = available_members(rule.team)
    if rule.method == AssignmentRuleMethod.LEAST_LOADED:
        open_work = Q(assigned_tickets__state_category__in=StateCategory.OPEN)
        ranked = members.annotate(load=Count("assigned_tickets", filter=open_work))
        chosen: Person | None = ranked.order_by("load", "pk").first()
        return chosen
    locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
    after = locked.last_assignee_id or 0
    chosen = members.filter(pk__gt=after).first() or members.first()
    if chosen is not None:
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assignee=chosen)
        rule.last_assignee = chosen
    return chosen


def matching_rule(incident: Incident, *, support_line: int | None = None) -> AssignmentRule | None:
    """The first active rule, by order, that matches ``incident`` (on one line, if given)."""
    rules = AssignmentRule.objects.active().select_related("team", "organisation")
    if support_line is not None:
        rules = rules.filter(team__support_line=support_line)
    return next((rule for rule in rules if rule.matches(incident)), None)


def _assign(
    *, incident: Incident, team: Team, assignee: Person | None, held: bool = False
) -> Incident:
    """Give the incident to ``team``/``assignee``; a new incident in ``full`` becomes assigned.

    ``held``: the incident was opened by this transaction (``workflow.transition``)."""
    values = {"team": team, "assignee": assignee}
    step = workflow.workflow_for(Incident).find(incident.state, IncidentState.ASSIGNED)
    if step is not None and set(values) <= set(step.fields):
        moved: Incident = tickets.transition_ticket(
            actor=None, ticket=incident, to=IncidentState.ASSIGNED, values=values, held=held
        )
        return moved
    locked = Incident.objects.select_for_update().get(pk=incident.pk)
    before = audit.snapshot(locked, ("team", "assignee"))
    locked.team, locked.assignee = team, assignee
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["team", "assignee", "version", "updated_at"])
    audit.record(
        actor=None,
        action="incident.updated",
        obj=locked,
        changes=audit.diff(before, audit.snapshot(locked, ("team", "assignee"))),
        object_repr=locked.number,
    )
    return locked


def apply_assignment_rules(*, incident: Incident, just_opened: bool = False) -> Incident:
    """Route an incident without a team by the first matching rule (the system acts).

    ``just_opened``: ``incident`` is the one this transaction has just opened, as written.
    """
    if incident.team_id is not None:
        return incident
    rule = matching_rule(incident)
    if rule is None:
        return incident
    assignee = pick_member(rule)
    incident = _assign(incident=incident, team=rule.team, assignee=assignee, held=just_opened)
    audit.record(
        actor=None,
        action="incident.routed",
        obj=incident,
        changes={"rule": rule.pk, "team": rule.team_id, "assignee": getattr(assignee, "pk", None)},
        object_repr=incident.number,
    )
    return incident
