"""SLA figures: the breach sweep over many running clocks, and due-time computations.

    DATABASE_URL=postgres://.../steward_bench_sla python -m bench.sla_sweep --clocks 1000000
    python -m bench.sla_sweep --due-only        # no database: due-time computations per second
    DATABASE_URL=... python -m bench.sla_sweep --report-only   # after a fill: the report

The database must be a scratch one: it is migrated, then ``--clocks`` tickets with one
running clock each are bulk-inserted (bypassing the services), ``--crossing`` of them (default
1 %) already past their due instant. The sweep then runs once, as the worker runs it, and its
wall time is printed with what it did; a second sweep shows the cost when nothing is due.
``--report-only`` then ends every clock of that database (9 in 10 met, spread over a year)
and times the compliance report over all of them. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any


def due_rate(seconds: float = 2.0) -> dict[str, Any]:
    """``add_business_time`` calls per second on office hours with a lunch break and German
    holidays, from random starts over two years, for durations of 1 hour to 5 days."""
    from steward.core.calendars import BusinessCalendar, add_business_time

    calendar = BusinessCalendar(
        "Europe/Berlin",
        {
            d: (
                (datetime.min.time().replace(hour=8), datetime.min.time().replace(hour=12)),
                (datetime.min.time().replace(hour=13), datetime.min.time().replace(hour=17)),
            )
            for d in range(5)
        },
        country="DE",
    )
    rng = random.Random(1)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        start = base + timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        add_business_time(calendar, start, timedelta(minutes=rng.randrange(60, 5 * 8 * 60)))
        done += 1
    elapsed = time.perf_counter() - started
    return {
        "due_computations": done,
        "seconds": round(elapsed, 2),
        "per_second": round(done / elapsed),
    }


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    import django

    django.setup()


def fill(clocks: int, crossing: float, batch: int = 5000) -> dict[str, Any]:
    """Tickets with one running clock each; ``crossing`` of them already due."""
    from django.core.management import call_command
    from django.db import transaction

    from steward.accounts import services as accounts
    from steward.sla import services
    from steward.sla.models import SlaClock
    from steward.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    if Ticket.objects.filter(number__startswith="SLB").exists():
        raise SystemExit("this database already holds the SLA bench data; use a fresh one")
    customer = accounts.create_organisation(actor=None, name="Bench customer", code="sla-bench")
    requester = accounts.create_person(
        actor=None, email="sla-bench@example.test", full_name="Bench", organisation=customer
    )
    calendar = services.create_calendar(
        actor=None,
        name="Bench hours",
        time_zone="Europe/Berlin",
        hours={str(d): ["08:00-12:00", "13:00-17:00"] for d in range(5)},
        holiday_country="DE",
    )
    agreement = services.create_agreement(
        actor=None,
        name="Bench SLA",
        code="sla-bench",
        kind="sla",
        customer=customer,
        calendar=calendar,
        valid_from=date(2020, 1, 1),
    )
    target = services.create_target(
        actor=None,
        agreement=agreement,
        metric="resolution",
        ticket_kind="tickets.ticket",
        priority=5,
        duration=16,
        unit="hours",
    )
    now = datetime.now(UTC)
    rng = random.Random(7)
    started = time.perf_counter()
    every = max(1, round(1 / crossing)) if crossing else 0
    for first in range(0, clocks, batch):
        rows = range(first, min(first + batch, clocks))
        with transaction.atomic():
            tickets = Ticket.objects.bulk_create(
                [
                    Ticket(
                        kind="tickets.ticket",
                        number=f"SLB{i:09d}",
                        title=f"Bench {i}",
                        requester=requester,
                        organisation=customer,
                        state="in_progress",
                        state_category="active",
                        opened_at=now - timedelta(hours=1),
                    )
                    for i in rows
                ]
            )
            made = []
            for i, ticket in zip(rows, tickets, strict=True):
                late = every and i % every == 0
                due = (
                    now - timedelta(minutes=rng.randrange(1, 600))
                    if late
                    else (now + timedelta(hours=rng.randrange(1, 24 * 14)))
                )
                made.append(
                    SlaClock(
                        ticket=ticket,
                        target=target,
                        agreement=agreement,
                        state="running",
                        origin=ticket.opened_at,
                        attached_at=ticket.opened_at,
                        started_at=ticket.opened_at,
                        measured_at=ticket.opened_at,
                        elapsed=timedelta(hours=15, minutes=59) if late else timedelta(0),
                        due_at=due,
                        next_check_at=due,
                    )
                )
            SlaClock.objects.bulk_create(made)
        print(f"{first + len(rows)} clocks", file=sys.stderr, flush=True)
    return {"clocks": clocks, "fill_seconds": round(time.perf_counter() - started, 1)}


def measure() -> dict[str, Any]:
    from django.db import connection

    from steward.sla import services

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE sla_slaclock")
    started = time.perf_counter()
    first = services.sweep()
    sweep_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second = services.sweep()
    idle_seconds = time.perf_counter() - started
    return {
        "database": connection.vendor,
        "sweep_seconds": round(sweep_seconds, 2),
        "breaches_acted": first.breaches,
        "checked": first.checked,
        "idle_sweep_ms": round(idle_seconds * 1000, 1),
        "idle_checked": second.checked,
    }


def measure_report() -> dict[str, Any]:
    """End every bench clock (9 in 10 met) over the last year, then time the report."""
    from django.db import connection, transaction

    from steward.sla.models import SlaClock
    from steward.sla.services import reports

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "UPDATE sla_slaclock SET state = CASE WHEN id % 10 = 0 THEN 'breached' "
                "ELSE 'met' END, stopped_at = now() - (id % 365) * interval '1 day', "
                "next_check_at = NULL"
            )
            cursor.execute("ANALYZE sla_slaclock")
        else:
            SlaClock.objects.update(next_check_at=None)
            cursor.execute(
                "UPDATE sla_slaclock SET state = CASE WHEN id % 10 = 0 THEN 'breached' "
                "ELSE 'met' END, stopped_at = datetime('now', '-' || (id % 365) || ' days')"
            )
    ended = time.perf_counter() - started
    today = datetime.now(UTC).date()
    since, until = reports.day_range(today - timedelta(days=366), today)
    started = time.perf_counter()
    rows = reports.compliance(actor=None, since=since, until=until)
    report_seconds = time.perf_counter() - started
    return {
        "database": connection.vendor,
        "ended_clocks": SlaClock.objects.count(),
        "end_seconds": round(ended, 1),
        "report_seconds": round(report_seconds, 2),
        "report_rows": len(rows),
        "report_clocks": sum(r.total for r in rows),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=100_000)
    parser.add_argument("--crossing", type=float, default=0.01)
    parser.add_argument("--due-only", action="store_true")
    parser.add_argument("--report-only", action="store_true")
    args = parser.parse_args(argv)
    if args.report_only:
        _setup()
        print(json.dumps(measure_report()))
        return
    figures: dict[str, Any] = due_rate()
    if not args.due_only:
        _setup()
        figures.update(fill(args.clocks, args.crossing))
        figures.update(measure())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
