"""Demo service levels: an office-hours calendar, a 24/7 one, an SLA with Northwind Health and
an OLA with the service desk team, so the demo tickets carry clocks."""

from __future__ import annotations

from datetime import date

from django.conf import settings

from steward.accounts.models import Organisation, Team
from steward.sla import services
from steward.sla.models import Agreement, BusinessCalendar

#: (priority, first response in minutes, resolution in hours)
SLA_TARGETS = ((1, 15, 4), (2, 30, 8), (3, 60, 16), (4, 240, 40), (5, 480, 80))
KINDS = ("incidents.incident", "tickets.ticket")


def load() -> str:
    if Agreement.objects.filter(code="northwind-gold").exists():
        return "Demo service levels already present."
    customer = Organisation.objects.filter(code="northwind").first()
    team = Team.objects.order_by("support_line", "name").first()
    if customer is None:
        return "Demo service levels skipped (demo organisations missing)."
    office = services.create_calendar(
        actor=None,
        name="Office hours",
        time_zone=settings.TIME_ZONE,
        hours={str(day): ["08:00-12:00", "13:00-18:00"] for day in range(5)},
    )
    BusinessCalendar.objects.get_or_create(
        name="Around the clock",
        defaults={
            "time_zone": settings.TIME_ZONE,
            "hours": {str(d): ["00:00-00:00"] for d in range(7)},
        },
    )
    sla = services.create_agreement(
        actor=None,
        name="Northwind Health Gold",
        code="northwind-gold",
        kind="sla",
        customer=customer,
        calendar=office,
        valid_from=date(2026, 1, 1),
        description="Clinical services: fast response, resolution by priority.",
    )
    for kind in KINDS:
        for priority, response, resolution in SLA_TARGETS:
            services.create_target(
                actor=None,
                agreement=sla,
                metric="first_response",
                ticket_kind=kind,
                priority=priority,
                duration=response,
                unit="minutes",
                warning_thresholds=[75],
                warning_actions=["notify"],
                breach_actions=["notify"],
            )
            services.create_target(
                actor=None,
                agreement=sla,
                metric="resolution",
                ticket_kind=kind,
                priority=priority,
                duration=resolution,
                unit="hours",
                warning_thresholds=[50, 75, 90],
                warning_actions=["notify"],
                breach_actions=["notify", "raise_priority"],
            )
    made = 1
    if team is not None:
        ola = services.create_agreement(
            actor=None,
            name=f"{team.name} OLA",
            code="service-desk-ola",
            kind="ola",
            team=team,
            calendar=office,
            valid_from=date(2026, 1, 1),
            supports=[sla],
        )
        for priority, _, resolution in SLA_TARGETS:
            services.create_target(
                actor=None,
                agreement=ola,
                metric="resolution",
                ticket_kind="incidents.incident",
                priority=priority,
                duration=max(1, resolution // 2),
                unit="hours",
                warning_thresholds=[75],
                warning_actions=["notify"],
                breach_actions=["notify"],
            )
        made += 1
    return f"Demo service levels: {made} agreements on the office-hours calendar."
