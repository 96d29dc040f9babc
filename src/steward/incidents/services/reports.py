"""First-contact resolution, counted in the database.

Two figures for a period ``[since, until)``:

* **Interactions**: of the contacts that ended in the period, handled (resolved on first
  contact or linked to an incident), the share resolved on first contact. Abandoned contacts
  are counted separately and left out of the rate: nobody had the chance to resolve them.
* **Incidents**: of the incidents resolved in the period (with a resolution code, so not
  cancelled), the share resolved by the first team they reached: never reassigned and never
  escalated to another support line.

With ``team`` the figures are that desk team's (interactions it took, incidents it resolved).
With ``actor`` only rows that person may see count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q
from django.db.models.functions import Cast
from django.utils import timezone

from steward.accounts.models import Person, Team
from steward.core.models import AuditEntry
from steward.core.policy import scope
from steward.incidents.choices import InteractionOutcome
from steward.incidents.models import Incident, Interaction


@dataclass(frozen=True)
class FirstContactResolution:
    """The figures of one period (rates are fractions, ``None`` without any rows)."""

    since: datetime
    until: datetime
    team: Team | None
    interactions_ended: int
    interactions_resolved: int
    interactions_linked: int
    interactions_abandoned: int
    incidents_resolved: int
    incidents_resolved_by_first_team: int

    @property
    def interactions_handled(self) -> int:
        return self.interactions_resolved + self.interactions_linked

    @property
    def interaction_rate(self) -> float | None:
        handled = self.interactions_handled
        return self.interactions_resolved / handled if handled else None

    @property
    def incident_rate(self) -> float | None:
        total = self.incidents_resolved
        return self.incidents_resolved_by_first_team / total if total else None

    def as_dict(self) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "team": self.team.pk if self.team is not None else None,
            "interactions_ended": self.interactions_ended,
            "interactions_handled": self.interactions_handled,
            "interactions_resolved_on_first_contact": self.interactions_resolved,
            "interactions_linked_to_incidents": self.interactions_linked,
            "interactions_abandoned": self.interactions_abandoned,
            "interaction_rate": self.interaction_rate,
            "incidents_resolved": self.incidents_resolved,
            "incidents_resolved_by_first_team": self.incidents_resolved_by_first_team,
            "incident_rate": self.incident_rate,
        }


def day_range(since: date, until: date) -> tuple[datetime, datetime]:
    """Whole days ``since``..``until`` (both inclusive) as an aware half-open range."""
    zone = timezone.get_current_timezone()
    start = datetime.combine(since, time.min, tzinfo=zone)
    end = datetime.combine(until, time.min, tzinfo=zone) + timedelta(days=1)
    return start, end


def resolved_by_first_team() -> Q:
    """The condition "resolved by the first team it reached" (never reassigned, never
    escalated) on an ``Incident`` query: this report's, and other reports' that group it."""
    escalated = AuditEntry.objects.filter(
        object_type=Incident._meta.label_lower,
        object_id=Cast(OuterRef("pk"), output_field=CharField()),
        action="incident.escalated",
    )
    return Q(Q(reassignment_count=0, team__isnull=False), ~Exists(escalated))


def first_contact_resolution(
    *,
    actor: Person | None = None,
    since: datetime,
    until: datetime,
    team: Team | None = None,
) -> FirstContactResolution:
    """The first-contact resolution figures of ``[since, until)`` (two aggregate queries)."""
    interactions: Any = Interaction.objects.filter(ended_at__gte=since, ended_at__lt=until)
    incidents: Any = Incident.objects.filter(resolved_at__gte=since, resolved_at__lt=until).exclude(
        resolution_code=""
    )
    if actor is not None:
        interactions = scope(interactions, actor)
        incidents = scope(incidents, actor)
    if team is not None:
        interactions = interactions.filter(team=team)
        incidents = incidents.filter(team=team)
    counts = interactions.aggregate(
        ended=Count("pk"),
        resolved=Count("pk", filter=Q(outcome=InteractionOutcome.RESOLVED)),
        linked=Count("pk", filter=Q(outcome=InteractionOutcome.LINKED)),
        abandoned=Count("pk", filter=Q(outcome=InteractionOutcome.ABANDONED)),
    )
    resolved = incidents.aggregate(
        total=Count("pk"),
        first_team=Count("pk", filter=resolved_by_first_team()),
    )
    return FirstContactResolution(
        since=since,
        until=until,
        team=team,
        interactions_ended=counts["ended"],
        interactions_resolved=counts["resolved"],
        interactions_linked=counts["linked"],
        interactions_abandoned=counts["abandoned"],
        incidents_resolved=resolved["total"],
        incidents_resolved_by_first_team=resolved["first_team"],
    )
