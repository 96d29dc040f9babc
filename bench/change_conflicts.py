"""Schedule conflicts and the change calendar on a large estate: a 100k-CI CMDB, 10k changes.

Run against a PostgreSQL database of its own whose name says bench (migrated; its CMDB and
change tables are emptied and refilled)::

    DATABASE_URL=postgres://.../steward_bench python -m bench.change_conflicts \\
        [--cis 100000] [--relationships 300000] [--changes 10000] [--month-changes 5000] \\
        [--runs 100] [--seed 1] [--skip-generate | --skip-cmdb] [--explain]

The CMDB is ``bench.cmdb_impact``'s generator (the default class library, a data centre's
mix of services, applications, databases, virtual and physical servers, network and storage,
mostly within domains of 500 CIs). The changes go in with ``bulk_create`` for their ticket
rows and PostgreSQL ``COPY`` for the change rows and their affected CIs, bypassing the
services: ``--month-changes`` of them planned in one month (the month measured), the rest
spread over the year after; each lasts 1 to 8 hours and touches one to three CIs (an
application or database with, half of the time, the virtual server it runs on). One change
in twenty is cancelled (it no longer occupies the schedule). Maintenance windows for 2% of the
CIs, and a few blackouts, complete the picture.

Measured: ``changes.conflicts.detect`` for ``--runs`` random changes at 2 hops (p50, p95,
max, and how many conflicts were found), and the server time of the calendar's month view
(``GET /changes/schedule/?date=...``, in process, signed in as a change manager) for the
month holding ``--month-changes`` changes. ``--explain`` prints PostgreSQL's plan of the
conflict query (EXPLAIN ANALYZE) for the slowest change. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from typing import Any

from bench.cmdb_impact import percentile, refuse_unless_bench_database

MONTH = datetime(2031, 3, 1, tzinfo=UTC)
REQUESTER = "change-bench@example.test"


def generate_changes(*, changes: int, month_changes: int, seed: int) -> dict[str, int]:
    """Empty the change tables and fill them (tickets by bulk_create, the rest by COPY)."""
    from django.db import connection, transaction

    from steward.accounts import services as accounts
    from steward.accounts.models import Person
    from steward.changes.models import Change
    from steward.changes.models_schedule import BlackoutWindow, ConflictOverride, MaintenanceWindow
    from steward.cmdb.models import ConfigurationItem, Relationship
    from steward.tickets.models import Ticket

    rng = random.Random(seed)
    person = Person.objects.filter(email=REQUESTER).first() or accounts.create_person(
        actor=None, email=REQUESTER, full_name="Change bench", roles=["change_manager"]
    )
    by_code: dict[str, list[int]] = {}
    for pk, code in ConfigurationItem.objects.values_list("pk", "ci_type__code"):
        by_code.setdefault(code, []).append(pk)
    workloads = by_code["application"] + by_code["database"]
    runs_on = dict(
        Relationship.objects.filter(type__code="runs_on", source_id__in=workloads).values_list(
            "source_id", "target_id"
        )
    )
    services = by_code["business_service"] + by_code["technical_service"]
    with transaction.atomic(), connection.cursor() as cursor:
        # Plain DELETEs, children first: the ORM's cascade collector takes minutes at 100k.
        through_table = Change.affected_cis.through._meta.db_table
        for table in (
            through_table,
            ConflictOverride._meta.db_table,
            Change._meta.db_table,
            BlackoutWindow._meta.db_table,
            MaintenanceWindow._meta.db_table,
        ):
            cursor.execute(f"DELETE FROM {table}")
        cursor.execute(
            f"DELETE FROM {Ticket._meta.db_table} WHERE kind = %s", [Change._meta.label_lower]
        )
    year = (MONTH + timedelta(days=31)).replace(day=1)
    rows: list[tuple[Ticket, datetime, datetime, list[int]]] = []
    for n in range(changes):
        if n < month_changes:
            start = MONTH + timedelta(minutes=rng.randrange(30 * 24 * 60))
        else:
            start = year + timedelta(minutes=rng.randrange(335 * 24 * 60))
        start = start.replace(second=0, microsecond=0)
        end = start + timedelta(hours=rng.randint(1, 8))
        main = rng.choice(workloads)
        cis = [main]
        if rng.random() < 0.5 and main in runs_on:
            cis.append(runs_on[main])
        if rng.random() < 0.2:
            cis.append(rng.choice(workloads))
        cancelled = rng.random() < 0.05
        ticket = Ticket(
            kind=Change._meta.label_lower,
            number=f"CHGB{n:07d}",
            title=f"Bench change {n}",
            requester=person,
            configuration_item_id=main,
            service_id=rng.choice(services),
            state="cancelled" if cancelled else "scheduled",
            state_category="closed" if cancelled else "active",
        )
        rows.append((ticket, start, end, list(dict.fromkeys(cis))))
    with transaction.atomic():
        made = Ticket.objects.bulk_create([t for t, *_ in rows], batch_size=5000)
        fields = list(Change._meta.local_concrete_fields)
        columns = ", ".join(str(f.column) for f in fields)
        through = Change.affected_cis.through
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {Change._meta.db_table} ({columns}) FROM STDIN") as copy:
                for ticket, (_, start, end, _cis) in zip(made, rows, strict=True):
                    change = Change(ticket_ptr_id=ticket.pk, planned_start=start, planned_end=end)
                    copy.write_row(
                        [f.get_db_prep_save(getattr(change, f.attname), connection) for f in fields]
                    )
            with raw.copy(
                f"COPY {through._meta.db_table} (change_id, configurationitem_id) FROM STDIN"
            ) as copy:
                for ticket, (_, _s, _e, cis) in zip(made, rows, strict=True):
                    for ci in cis:
                        copy.write_row([ticket.pk, ci])
        windows = [
            MaintenanceWindow(
                name="Weekend nights",
                configuration_item_id=ci,
                kind="recurring",
                weekdays=[5, 6],
                start_time=dtime(22),
                end_time=dtime(4),
                time_zone="Europe/Berlin",
            )
            for ci in rng.sample(workloads, len(workloads) // 50)
        ]
        MaintenanceWindow.objects.bulk_create(windows, batch_size=5000)
        BlackoutWindow.objects.bulk_create(
            [
                BlackoutWindow(
                    name=f"Freeze {i}",
                    service_id=None if i == 0 else rng.choice(services),
                    starts_at=year + timedelta(days=60 * i),
                    ends_at=year + timedelta(days=60 * i + 3),
                    policy="block",
                )
                for i in range(5)
            ]
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "changes": len(made),
        "affected_cis": through.objects.count(),
        "maintenance_windows": len(windows),
    }


def measure_conflicts(*, runs: int, seed: int, explain: bool) -> dict[str, Any]:
    from django.db import connection

    from steward.changes import conflicts
    from steward.changes.models import Change

    rng = random.Random(seed + 7)
    ids = list(Change.objects.filter(state_category="active").values_list("pk", flat=True))
    chosen = [rng.choice(ids) for _ in range(runs)]
    times: list[float] = []
    found: list[int] = []
    slowest: tuple[float, Any] = (0.0, None)
    for pk in chosen:
        change = Change.objects.get(pk=pk)
        assert change.planned_start is not None and change.planned_end is not None
        began = time.perf_counter()
        result = conflicts.detect(change, change.planned_start, change.planned_end, hops=2)
        took = (time.perf_counter() - began) * 1000
        times.append(took)
        found.append(len(result))
        if took > slowest[0]:
            slowest = (took, change)
    figures: dict[str, Any] = {
        "detect_runs": runs,
        "detect_hops": 2,
        "detect_p50_ms": round(percentile(times, 0.5), 1),
        "detect_p95_ms": round(percentile(times, 0.95), 1),
        "detect_max_ms": round(max(times), 1),
        "conflicts_mean": round(statistics.mean(found), 1),
        "conflicts_max": max(found),
    }
    if explain and slowest[1] is not None:
        change = slowest[1]
        ci_ids = conflicts.change_ci_ids(change)
        sql = conflicts._conflict_sql(len(ci_ids))
        params = [
            *ci_ids,
            2,
            change.planned_end,
            change.planned_start,
            "closed",
            change.pk,
            change.planned_end,
            change.planned_start,
            change.service_id or -1,
        ]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(plan, file=sys.stderr)
    return figures


def measure_month(*, samples: int = 10) -> dict[str, Any]:
    from django.test import Client
    from django.urls import reverse

    from steward.accounts.models import Person

    client = Client()
    client.force_login(Person.objects.get(email=REQUESTER))
    url = reverse("change_schedule:calendar")
    times: list[float] = []
    size = 0
    for _ in range(samples):
        began = time.perf_counter()
        response = client.get(url, {"date": MONTH.date().isoformat()})
        times.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
        size = len(response.content)
    page = response.content.decode()
    shown = page.count('data-kind="change"')
    counted = sum(int(n) for n in re.findall(r">\+(\d+) more<", page))
    return {
        "month_samples": samples,
        "month_p50_ms": round(percentile(times, 0.5), 1),
        "month_p95_ms": round(percentile(times, 0.95), 1),
        "month_entries_listed": shown,
        "month_entries_more": counted,
        "month_kib": round(size / 1024),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--cis", type=int, default=100_000)
    parser.add_argument("--relationships", type=int, default=300_000)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--month-changes", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-generate", action="store_true", help="reuse the data there")
    parser.add_argument(
        "--skip-cmdb", action="store_true", help="reuse the CMDB there, make the changes again"
    )
    parser.add_argument("--explain", action="store_true", help="print the slowest query's plan")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    os.environ.setdefault("STEWARD_ENV", "test")  # in-process client: no HTTPS redirect
    import django

    django.setup()
    from django.db import connection

    refuse_unless_bench_database()
    if connection.vendor != "postgresql":
        sys.exit("this benchmark loads with PostgreSQL's COPY: point DATABASE_URL at PostgreSQL")
    result: dict[str, Any] = {"benchmark": "change_conflicts", "database": connection.vendor}
    if not args.skip_generate:
        from bench.cmdb_impact import generate

        began = time.perf_counter()
        if not args.skip_cmdb:
            result["cmdb"] = generate(
                cis=args.cis, relationships=args.relationships, seed=args.seed
            )
        result["changes"] = generate_changes(
            changes=args.changes, month_changes=args.month_changes, seed=args.seed
        )
        result["generate_s"] = round(time.perf_counter() - began, 1)
        print(f"generated in {result['generate_s']} s", file=sys.stderr)
    result.update(measure_conflicts(runs=args.runs, seed=args.seed, explain=args.explain))
    result.update(measure_month())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
