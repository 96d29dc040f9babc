"""``ticket_create --sla``: the service levels a bench site gets before incidents are created."""

from __future__ import annotations

from collections.abc import Sequence


def service_levels(requesters: Sequence[int], team_id: int) -> int:
    """An SLA for each organisation of the requesters and an OLA for the team, with a
    first-response and a resolution target for incidents of every priority (as the demo's)."""
    from datetime import date

    from steward.accounts.models import Organisation, Person, Team
    from steward.core import context
    from steward.sla import services

    organisations = Organisation.objects.filter(
        pk__in=Person.objects.filter(pk__in=requesters).values("organisation_id")
    ).order_by("pk")
    with context.acting("cli"):
        calendar = services.create_calendar(
            actor=None,
            name="Bench office hours",
            time_zone="Europe/Berlin",
            hours={str(day): ["08:00-12:00", "13:00-18:00"] for day in range(5)},
        )
        agreements = []
        for organisation in organisations:
            agreements.append(
                services.create_agreement(
                    actor=None,
                    name=f"SLA {organisation.name}",
                    code=f"bench-sla-{organisation.pk}",
                    kind="sla",
                    customer=organisation,
                    calendar=calendar,
                    valid_from=date(2026, 1, 1),
                )
            )
        agreements.append(
            services.create_agreement(
                actor=None,
                name="Bench OLA",
                code="bench-ola",
                kind="ola",
                team=Team.objects.get(pk=team_id),
                calendar=calendar,
                valid_from=date(2026, 1, 1),
            )
        )
        for agreement in agreements:
            metrics = (
                ("first_response", "resolution") if agreement.kind == "sla" else ("resolution",)
            )
            for priority in range(1, 6):
                for metric in metrics:
                    services.create_target(
                        actor=None,
                        agreement=agreement,
                        metric=metric,
                        ticket_kind="incidents.incident",
                        priority=priority,
                        duration=30 * priority if metric == "first_response" else 4 * priority,
                        unit="minutes" if metric == "first_response" else "hours",
                        warning_thresholds=[50, 75, 90],
                        warning_actions=["notify"],
                        breach_actions=["notify"],
                    )
    return len(agreements)
