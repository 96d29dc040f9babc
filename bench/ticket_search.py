"""Full-text search through the API at 1M tickets: latency per kind of query, and its plan.

For each database: a fresh site with ``--people`` people and ``--tickets`` tickets of
``--kind`` (incidents by default) with their search entries, served by gunicorn with 2 sync
workers in production settings. An agent (who may search work notes too) asks
``GET /api/v1/incidents/?q=...`` for each query of ``bench.search_prepare.SEARCHES`` — a
ticket number, a word in no ticket, a phrase, two words, words in 6% to 30% of the tickets
and a type-ahead prefix — for ``--duration`` seconds each at ``--concurrency``, after a
warm-up. Each query's figures say how many rows its first page held and the plan of its
ticket query (PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from typing import Any

from bench.load import LoadResult, run_load
from bench.tickets_common import (
    PROXY_HEADERS,
    add_load_arguments,
    add_site_arguments,
    databases,
    each_database,
    measure_phase,
    size_for,
    speaker,
    tickets_count,
)
from bench.tickets_prepare import API_PATHS
from bench.tickets_site import running_ticket_site

NAME = "ticket_search"
SUMMARY = "full-text search through the API at 1M incidents: latency per kind of query"
DEFAULT_TICKETS = {"postgres": 1_000_000, "sqlite": 100_000}

say = speaker(NAME)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument(
        "--tickets",
        type=tickets_count,
        help="tickets generated (default 1000000 on PostgreSQL, 100000 on SQLite)",
    )
    parser.add_argument(
        "--kind", choices=sorted(API_PATHS), default="incident", help="default: incident"
    )
    add_load_arguments(parser, duration=5.0)


def measure(args: argparse.Namespace, database: str) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    tickets = size_for(database, args.tickets, **DEFAULT_TICKETS)
    prepare = ["search", "--people", str(args.people), "--tickets", str(tickets)]
    prepare += ["--seed", str(args.seed), "--kind", args.kind]
    with running_ticket_site(
        database, prepare=prepare, workers=args.workers, keep=args.keep, say=say
    ) as site:
        facts = site.facts
        headers = {
            **PROXY_HEADERS,
            "Authorization": f"Bearer {facts['token']}",
            "Accept": "application/json",
        }
        figures: dict[str, Any] = {}
        worst_p95 = 0.0
        for name, query in facts["queries"].items():
            path = query["path"]

            def load(seconds: float | None, requests: int | None, path: str = path) -> LoadResult:
                return run_load(
                    site.url,
                    path,
                    headers=headers,
                    concurrency=args.concurrency,
                    seconds=seconds,
                    requests=requests,
                )

            say(f"{database}: {name}: measuring {path}")
            measured = measure_phase(site, load, args)
            worst_p95 = max(worst_p95, float(measured.get("p95_ms", 0.0)))
            figures[name] = {**query, **measured}
        return {
            "database": database,
            "database_version": facts["database_version"],
            "kind": args.kind,
            "people": args.people,
            "tickets": facts["tickets"],
            "search_entries": facts["search_entries_generated"],
            "as": "agent",
            "concurrency": args.concurrency,
            "warmup_s": args.warmup,
            "worst_p95_ms": worst_p95,
            "queries": figures,
            "server": f"gunicorn {site.workers} workers (sync)",
            "loadavg_1m_before": round(load_before, 2),
            "setup_s": facts["setup_s"],
        }


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    yield from each_database(
        databases(args.database), lambda database: measure(args, database), say
    )
