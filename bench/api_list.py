"""Authenticated API list rate and latency: GET /api/v1/people/ with a bearer token.

For each database: a fresh site (``bench.site``) with ``--people`` generated people, served
by gunicorn with 2 sync workers in production settings; ``--concurrency`` client threads in
this process ask for the first page of the people list as one person (an agent by default)
for ``--duration`` seconds (or ``--requests`` requests) after a warm-up.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from bench import cpu
from bench.load import run_load
from bench.prepare import PEOPLE_PATH
from bench.site import DATABASES, running_site

NAME = "api_list"
SUMMARY = "authenticated API list (GET /api/v1/people/): requests/s, p50/p95/p99 latency"


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0, got {value}")
    return value


def _people(text: str) -> int:
    from bench.generate import MAX_PEOPLE, MIN_PEOPLE

    value = int(text)
    if not MIN_PEOPLE <= value <= MAX_PEOPLE:
        raise argparse.ArgumentTypeError(f"must be between {MIN_PEOPLE} and {MAX_PEOPLE}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--database", choices=[*DATABASES, "both"], default="both", help="default: both"
    )
    parser.add_argument("--people", type=_people, default=10_000, help="default: 10000")
    parser.add_argument(
        "--duration", type=_positive_float, default=10.0, help="seconds measured (default 10)"
    )
    parser.add_argument(
        "--requests", type=_positive_int, help="measure this many requests instead of a duration"
    )
    parser.add_argument(
        "--concurrency", type=_positive_int, default=4, help="client threads (default 4)"
    )
    parser.add_argument(
        "--warmup", type=float, default=2.0, help="seconds of unmeasured warm-up (default 2)"
    )
    parser.add_argument(
        "--workers", type=_positive_int, default=2, help="gunicorn workers (default 2)"
    )
    parser.add_argument(
        "--as",
        dest="acting_as",
        choices=["staff", "requester"],
        default="staff",
        help="whose token: an agent (sees everybody, default) or a requester (own org)",
    )
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default 1)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases and server logs afterwards"
    )


def databases(choice: str) -> tuple[str, ...]:
    return DATABASES if choice == "both" else (choice,)


def _say(message: str) -> None:
    print(f"[{NAME}] {message}", file=sys.stderr, flush=True)


@dataclass
class _CpuReading:
    server: float | None
    database: float | None
    host: tuple[float, float] | None


CPU_FIGURES = (
    "server_cpu_s",
    "database_cpu_s",
    "cpu_ms_per_request",
    "host_cpu_busy_pct",
    "other_cpu_s",
)


def _cpu_figures(
    *, before: _CpuReading, after: _CpuReading, client_s: float, requests: int
) -> dict[str, Any]:
    """Where the CPU went during the measured phase (all ``None`` where /proc cannot tell)."""
    figures: dict[str, Any] = dict.fromkeys(CPU_FIGURES)
    if before.server is None or after.server is None or before.host is None or after.host is None:
        return figures
    server = after.server - before.server
    database = 0.0
    if before.database is not None and after.database is not None:
        database = after.database - before.database
        figures["database_cpu_s"] = round(database, 2)
    busy = after.host[0] - before.host[0]
    total = after.host[1] - before.host[1]
    figures["server_cpu_s"] = round(server, 2)
    if requests:
        figures["cpu_ms_per_request"] = round((server + database) * 1000 / requests, 2)
    if total:
        figures["host_cpu_busy_pct"] = round(100 * busy / total, 1)
    figures["other_cpu_s"] = round(max(busy - server - database - client_s, 0.0), 2)
    return figures


def _read_cpu(server_pids: list[int], database_pids: list[int]) -> _CpuReading:
    return _CpuReading(
        server=cpu.total_cpu_seconds(server_pids),
        database=cpu.total_cpu_seconds(database_pids) if database_pids else None,
        host=cpu.host_cpu(),
    )


def measure(args: argparse.Namespace, database: str) -> dict[str, Any]:
    """One database: set the site up, warm up, drive the load, return the figures."""
    load_before = os.getloadavg()[0]  # is something else busy on this machine?
    with running_site(
        database,
        people=args.people,
        acting_as=args.acting_as,
        seed=args.seed,
        workers=args.workers,
        keep=args.keep,
        say=_say,
    ) as site:
        what = f"{args.requests} requests" if args.requests else f"{args.duration:g}s"
        _say(f"{database}: {args.warmup:g}s warm-up, then {what} at concurrency {args.concurrency}")
        load = partial(
            run_load,
            site.url,
            PEOPLE_PATH,
            headers={
                "Authorization": f"Bearer {site.token}",
                "Accept": "application/json",
                # As behind the TLS-terminating proxy production runs behind.
                "X-Forwarded-Proto": "https",
            },
            concurrency=args.concurrency,
        )
        if args.warmup > 0:
            load(seconds=args.warmup)
        # After the warm-up: the workers are up and PostgreSQL's connections are open.
        server_pids, database_pids = cpu.children(site.server_pid), site.database_pids()
        before = _read_cpu(server_pids, database_pids)
        result = load(seconds=None if args.requests else args.duration, requests=args.requests)
        after = _read_cpu(server_pids, database_pids)
        return {
            "database": database,
            "database_version": site.facts["database_version"],
            "endpoint": f"GET {PEOPLE_PATH}",
            "as": args.acting_as,
            "people": args.people,
            "rows": site.facts["rows"],
            "visible_rows": site.facts["visible_rows"],
            "page_size": site.facts["page_size"],
            "response_bytes": site.facts["response_bytes"],
            "queries_per_request": site.facts["queries_per_request"],
            "in_process_ms": site.facts["in_process_ms"],
            "concurrency": args.concurrency,
            "warmup_s": args.warmup,
            **result.figures(),
            **_cpu_figures(
                before=before,
                after=after,
                client_s=result.client_cpu_seconds,
                requests=result.requests,
            ),
            "server": f"gunicorn {site.workers} workers (sync)",
            "loadavg_1m_before": round(load_before, 2),
            "setup_s": {"migrate": site.facts["migrate_s"], "generate": site.facts["generate_s"]},
        }


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    """The figures per database; a database that fails yields its error instead."""
    for database in databases(args.database):
        try:
            yield measure(args, database)
        except Exception as exc:  # one database failing must not hide the other's figures
            _say(f"{database}: failed: {exc}")
            yield {"database": database, "error": f"{type(exc).__name__}: {exc}"}
