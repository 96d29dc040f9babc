"""Incidents linked to their problem, and problems to the problems that cause them.

A link is the tickets' typed link "incident *is caused by* problem" (``tickets.TicketLink``),
written through ``tickets.services.link_tickets`` (which audits both sides and refuses
repeats and cycles). Linking needs the problem in sight and the right to change each
incident: an incident or problem the actor cannot see is answered *not found*, and a bulk
link is all or nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from steward.accounts.models import Person
from steward.core import policy
from steward.core.errors import NotFound, RuleViolation
from steward.incidents.models import Incident, IncidentQuerySet
from steward.problems.models import Problem, ProblemQuerySet
from steward.tickets import services as tickets
from steward.tickets.choices import LinkType
from steward.tickets.models import TicketLink

#: Most incidents one bulk link or unlink takes (a search page's worth, and then some).
MAX_BULK = 500


def linked_incidents(problem: Problem, user: Person | None = None) -> IncidentQuerySet:
    """The incidents caused by ``problem`` (those ``user`` may see, when given)."""
    found = Incident.objects.filter(
        links_out__target=problem, links_out__link_type=LinkType.CAUSED_BY
    )
    return found.visible_to(user) if user is not None else found


def problems_of(incident: Incident, user: Person | None = None) -> ProblemQuerySet:
    """The problems ``incident`` is caused by (those ``user`` may see, when given)."""
    found = Problem.objects.filter(
        links_in__source=incident, links_in__link_type=LinkType.CAUSED_BY
    )
    return found.visible_to(user) if user is not None else found


def _incidents(actor: Person | None, incidents: Iterable[Incident]) -> list[Incident]:
    chosen = list({incident.pk: incident for incident in incidents}.values())
    if not chosen:
        raise RuleViolation({"incidents": "Choose at least one incident."})
    if len(chosen) > MAX_BULK:
        raise RuleViolation({"incidents": f"At most {MAX_BULK} incidents at once."})
    if actor is not None:
        for incident in chosen:
            policy.require(actor, "change", incident)
    return chosen


@transaction.atomic
def link_incidents(
    *, actor: Person, problem: Problem, incidents: Iterable[Incident]
) -> list[TicketLink]:
    """Link incidents to ``problem`` (from either side, one or many). Incidents already
    linked to it are left as they are; one linked to another problem refuses the lot."""
    policy.require(actor, "view", problem)
    chosen = _incidents(actor, incidents)
    if not problem.is_open:
        raise RuleViolation({"incidents": f"{problem.number} is no longer open."})
    existing = dict(
        TicketLink.objects.filter(
            source__in=[i.pk for i in chosen],
            link_type=LinkType.CAUSED_BY,
            target__kind=problem.kind,
        ).values_list("source_id", "target__number")
    )
    elsewhere = [
        f"{i.number} is already linked to {existing[i.pk]}."
        for i in chosen
        if i.pk in existing and existing[i.pk] != problem.number
    ]
    if elsewhere:
        raise RuleViolation({"incidents": elsewhere})
    links = []
    for incident in chosen:
        if incident.pk in existing:
            continue
        links.append(
            tickets.link_tickets(
                actor=actor, source=incident, target=problem, link_type=LinkType.CAUSED_BY
            )
        )
    return links


@transaction.atomic
def unlink_incidents(*, actor: Person, problem: Problem, incidents: Iterable[Incident]) -> int:
    """Unlink incidents from ``problem``; returns how many links were removed."""
    policy.require(actor, "view", problem)
    chosen = _incidents(actor, incidents)
    links = TicketLink.objects.filter(
        source__in=[i.pk for i in chosen], target=problem, link_type=LinkType.CAUSED_BY
    )
    by_pk = {incident.pk: incident for incident in chosen}
    removed = 0
    for link in links:
        # Audited on the incident and the problem as their own kinds, as they were linked.
        link.source, link.target = by_pk[link.source_id], problem
        tickets.unlink_tickets(actor=actor, link=link)
        removed += 1
    if not removed:
        raise RuleViolation(
            {"incidents": f"None of these incidents is linked to {problem.number}."}
        )
    return removed


@transaction.atomic
def link_problems(*, actor: Person, problem: Problem, cause: Problem) -> TicketLink:
    """ "``problem`` is caused by ``cause``": both problems, no cycles (the tickets' link
    service refuses a chain of causes that comes back to where it started)."""
    policy.require(actor, "change", problem)
    policy.require(actor, "view", cause)
    return tickets.link_tickets(
        actor=actor, source=problem, target=cause, link_type=LinkType.CAUSED_BY
    )


def get_incidents_for(
    user: Person, *, ids: Iterable[int] = (), numbers: Iterable[str] = ()
) -> list[Incident]:
    """The incidents named by id or number, through the policy: one the user cannot see
    (or that does not exist) is *not found*, and nothing is linked."""
    ids, numbers = list(ids), [n.strip().upper() for n in numbers]
    visible = Incident.objects.visible_to(user)
    found = {i.pk: i for i in visible.filter(number__in=numbers)} if numbers else {}
    if ids:
        found.update({i.pk: i for i in visible.filter(pk__in=ids)})
    known = {i.number for i in found.values()} | {i.pk for i in found.values()}
    missing = [str(n) for n in [*numbers, *ids] if n not in known]
    if missing:
        raise NotFound(f"incident not found: {', '.join(missing)}")
    return list(found.values())
