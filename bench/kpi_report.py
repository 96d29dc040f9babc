"""The KPI report, the variant view and the XES export over a large incident history.

Run against a database of its own whose name says bench (``DATABASE_URL``; it is migrated,
and the incidents and audit entries written by an earlier run of this benchmark are kept
unless ``--regenerate``)::

    python -m bench.kpi_report --incidents 200000 [--days 365] [--seed 1] [--batch 5000]

Generated: 20 teams, 40 services, one requester; ``--incidents`` incidents opened over
``--days`` days up to now, each with its audit history in the shapes the services write
(``incident.created``, ``incident.transitioned``, ``incident.updated`` for hand-offs): 70%
take new > assigned > in progress > resolved > closed, 10% also wait on hold, 8% are
reopened once, 5% are cancelled, 2% jump from new to closed (undeclared: a deviation), the
rest are still open; 25% are handed to another team once, 5% twice. Rows go in with
``bulk_create`` (tickets, incidents, audit entries), bypassing the services.

Measured (as the system, no permission filter), in seconds: ``kpi_report`` over the last 30
days and over the whole history, in all and grouped by team and by month;
``variant_report`` over the last 30 days; the XES export of the last 30 days (written to a
temporary file, with its size). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

MARK = "BENCHKPI"  # numbers of the incidents this benchmark writes


def refuse_unless_bench_database() -> None:
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if "bench" not in name.rsplit("/", 1)[-1]:
        sys.exit(
            f"refusing to fill {name!r}: point DATABASE_URL at a database of its own whose "
            "name says bench (e.g. postgres://.../steward_kpi_bench)"
        )


def _life(rng: random.Random) -> list[str]:
    draw = rng.random()
    if draw < 0.70:
        return ["assigned", "in_progress", "resolved", "closed"]
    if draw < 0.80:
        return ["assigned", "in_progress", "on_hold", "in_progress", "resolved", "closed"]
    if draw < 0.88:
        return ["assigned", "in_progress", "resolved", "in_progress", "resolved", "closed"]
    if draw < 0.93:
        return ["assigned", "cancelled"]
    if draw < 0.95:
        return ["closed"]
    return rng.choice([[], ["assigned"], ["assigned", "in_progress"]])


def generate(*, incidents: int, days: int, seed: int, batch: int) -> int:
    """Write ``incidents`` incidents with their histories; returns how many were written."""
    from django.db import transaction
    from django.utils import timezone

    from steward.accounts import services as accounts
    from steward.accounts.choices import RoleCode
    from steward.accounts.models import Person, Team
    from steward.cmdb import services as cmdb
    from steward.cmdb.choices import CITypeKind
    from steward.cmdb.models import CIType, ConfigurationItem
    from steward.core.models import AuditEntry
    from steward.core.workflow import workflow_for
    from steward.incidents.models import Incident
    from steward.tickets.models import Ticket

    rng = random.Random(seed)
    requester = Person.objects.filter(email="kpi-bench@example.test").first()
    if requester is None:
        requester = accounts.create_person(
            actor=None,
            email="kpi-bench@example.test",
            full_name="KPI bench",
            roles=[RoleCode.REQUESTER],
            password=None,
        )
    teams = list(Team.objects.filter(name__startswith="KPI bench "))
    for n in range(len(teams), 20):
        teams.append(accounts.create_team(actor=None, name=f"KPI bench {n}"))
    service_type = CIType.objects.filter(code="kpi-bench-service").first() or cmdb.create_ci_type(
        actor=None,
        code="kpi-bench-service",
        name="KPI bench service",
        kind=CITypeKind.BUSINESS_SERVICE,
    )
    services = list(ConfigurationItem.objects.filter(ci_type=service_type))
    for n in range(len(services), 40):
        services.append(cmdb.create_ci(actor=None, name=f"KPI service {n}", ci_type=service_type))
    flow = workflow_for(Incident, "full")
    now = timezone.now()
    start = now - timedelta(days=days)
    span = (now - start).total_seconds()
    written = 0
    fields = list(Incident._meta.local_concrete_fields)
    while written < incidents:
        size = min(batch, incidents - written)
        drawn: list[tuple[Ticket, Incident, list[tuple[datetime, str, Any]]]] = []
        for i in range(size):
            opened = start + timedelta(seconds=rng.random() * span * 0.98)
            team = rng.choice(teams)
            steps: list[tuple[datetime, str, Any]] = []
            at = opened
            for state in _life(rng):
                at += timedelta(minutes=rng.expovariate(1 / 240))
                steps.append((at, "move", state))
            hand_offs = 1 if rng.random() < 0.25 else 2 if rng.random() < 0.07 else 0
            holder = team
            for _ in range(hand_offs):
                other = rng.choice(teams)
                steps.append(
                    (opened + timedelta(minutes=rng.random() * 120), "hand", (holder, other))
                )
                holder = other
            steps.sort(key=lambda s: s[0])
            state, category, resolved_at, closed_at = "new", "new", None, None
            for when, what, detail in steps:
                if what == "move":
                    declared = flow.state(detail)
                    assert declared is not None
                    state, category = detail, declared.category
                    if category == "resolved":
                        resolved_at = when
                    elif category == "closed":
                        closed_at, resolved_at = when, resolved_at or when
                    else:
                        resolved_at = closed_at = None
            values = {
                "kind": "incidents.incident",
                "number": f"{MARK}{written + i:08d}",
                "title": "Generated incident",
                "requester": requester,
                "organisation_id": requester.organisation_id,
                "team": holder,
                "service": rng.choice(services),
                "impact": rng.randint(1, 3),
                "urgency": rng.randint(1, 3),
                "priority": rng.randint(1, 5),
                "state": state,
                "state_category": category,
                "opened_at": opened,
                "updated_at": steps[-1][0] if steps else opened,
                "resolved_at": resolved_at,
                "closed_at": closed_at,
            }
            incident = Incident(**values, reassignment_count=hand_offs)
            drawn.append((Ticket(**values), incident, steps))
        with transaction.atomic():
            rows = Ticket.objects.bulk_create([t for t, _, _ in drawn], batch_size=batch)
            children = []
            entries = []
            for (_, incident, steps), row in zip(drawn, rows, strict=True):
                incident.ticket_ptr_id = row.pk
                children.append(incident)
                ident = str(row.pk)
                common = {
                    "actor_label": "importer",
                    "source": "import",
                    "object_type": "incidents.incident",
                    "object_id": ident,
                    "object_repr": row.number,
                }
                entries.append(
                    AuditEntry(
                        created_at=row.opened_at,
                        action="incident.created",
                        changes={"state": [None, "new"], "priority": [None, row.priority]},
                        **common,
                    )
                )
                state = "new"
                for when, what, detail in steps:
                    if what == "move":
                        entries.append(
                            AuditEntry(
                                created_at=when,
                                action="incident.transitioned",
                                changes={"state": [state, detail]},
                                **common,
                            )
                        )
                        state = detail
                    else:
                        entries.append(
                            AuditEntry(
                                created_at=when,
                                action="incident.updated",
                                changes={"team": [detail[0].pk, detail[1].pk]},
                                **common,
                            )
                        )
            Incident._base_manager._insert(children, fields=fields)  # type: ignore[attr-defined]
            AuditEntry.objects.bulk_create(entries, batch_size=batch)
        written += size
        print(f"{written} incidents", file=sys.stderr)
    return written


def _timed(work: Any) -> tuple[float, Any]:
    began = time.perf_counter()
    result = work()
    return round(time.perf_counter() - began, 2), result


def measure(days: int) -> dict[str, Any]:
    from django.utils import timezone

    from steward.governance.services import kpis, variants
    from steward.interop import exporters

    today = timezone.localdate()
    month = kpis.day_range(today - timedelta(days=29), today)
    whole = kpis.day_range(today - timedelta(days=days), today)
    figures: dict[str, Any] = {}
    for name, (since, until), group in (
        ("kpis_30d", month, None),
        ("kpis_30d_by_team", month, "team"),
        ("kpis_all", whole, None),
        ("kpis_all_by_team", whole, "team"),
        ("kpis_all_by_month", whole, "month"),
    ):
        seconds, report = _timed(
            lambda s=since, u=until, g=group: kpis.kpi_report(
                actor=None, since=s, until=u, group_by=g
            )
        )
        figures[f"{name}_s"] = seconds
        figures[f"{name}_resolved"] = report.total.resolved
    seconds, report = _timed(
        lambda: variants.variant_report(actor=None, since=month[0], until=month[1])
    )
    figures["variants_30d_s"] = seconds
    figures["variants_30d_cases"] = report.cases
    figures["variants_30d_deviating"] = report.deviating_cases
    with tempfile.NamedTemporaryFile("w", suffix=".xes", encoding="utf-8") as out:

        def write() -> int:
            size = 0
            for piece in exporters.export(actor=None, format="xes", since=month[0], until=month[1]):
                out.write(piece)
                size += len(piece)
            return size

        seconds, size = _timed(write)
    figures["xes_30d_s"] = seconds
    figures["xes_30d_mb"] = round(size / 1e6, 1)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--incidents", type=int, default=200_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument("--regenerate", action="store_true", help="write the incidents again")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    refuse_unless_bench_database()
    call_command("migrate", verbosity=0)
    from steward.incidents.models import Incident

    result: dict[str, Any] = {"benchmark": "kpi_report", "database": connection.vendor}
    have = Incident.objects.filter(number__startswith=MARK).count()
    if args.regenerate or have == 0:
        seconds, made = _timed(
            lambda: generate(
                incidents=args.incidents, days=args.days, seed=args.seed, batch=args.batch
            )
        )
        result.update(generated=made, generate_s=seconds)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
    from steward.core.models import AuditEntry

    result["incidents"] = Incident.objects.count()
    result["audit_entries"] = AuditEntry.objects.count()
    result.update(measure(args.days))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
