"""The agent's team queue at scale: the web page and the API list, rate, latency, queries.

For each database: a fresh site with ``--people`` people and ``--tickets`` tickets
(``bench.generate_tickets``; 1,000,000 on PostgreSQL and 100,000 on SQLite by default),
served by gunicorn with 2 sync workers in production settings. One agent of the team with
the most open tickets (``--team busiest``, or the ``median`` team) then asks, one endpoint
after the other, for ``--duration`` seconds each after a warm-up:

* web: ``GET /tickets/?team=<id>&sort=priority`` (open tickets by priority, then oldest;
  50 a page), signed in through the login form, with the session cookie;
* API: ``GET /api/v1/tickets/?team=<id>&is_open=true&ordering=priority`` with a token.

Queries per page are counted in-process (Django's test client), and every statement that
reads tickets is explained (``EXPLAIN (ANALYZE, BUFFERS)`` on PostgreSQL).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from typing import Any

from bench.load import LoadResult, run_load
from bench.tickets_common import (
    PROXY_HEADERS,
    Load,
    add_load_arguments,
    add_site_arguments,
    databases,
    each_database,
    measure_phase,
    sign_in,
    size_for,
    speaker,
    tickets_count,
)
from bench.tickets_site import running_ticket_site

NAME = "tickets_queue"
SUMMARY = "team queue, web page and API list, at 1M tickets: requests/s, latency, queries"
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
        "--team",
        choices=["busiest", "median"],
        default="busiest",
        help="whose queue: the team with the most open tickets (default) or the median one",
    )
    parser.add_argument(
        "--kind",
        choices=["ticket", "incident"],
        default="ticket",
        help="what the million rows are: plain tickets (default) or incidents",
    )
    add_load_arguments(parser, duration=10.0)


def _endpoint(facts: dict[str, Any]) -> dict[str, Any]:
    return {
        "endpoint": f"GET {facts['path']}",
        "page_rows": facts["page_rows"],
        "response_bytes": facts["response_bytes"],
        "queries_per_page": facts["queries_per_page"],
        "queries_per_later_page": facts["queries_per_later_page"],
        "in_process_ms": facts["in_process_ms"],
    }


def _loader(url: str, path: str, headers: dict[str, str], concurrency: int) -> Load:
    def load(seconds: float | None, requests: int | None) -> LoadResult:
        return run_load(
            url, path, headers=headers, concurrency=concurrency, seconds=seconds, requests=requests
        )

    return load


def measure(args: argparse.Namespace, database: str) -> dict[str, Any]:
    """One database: set the site up, then load the web queue and the API list in turn."""
    load_before = os.getloadavg()[0]
    tickets = size_for(database, args.tickets, **DEFAULT_TICKETS)
    prepare = ["queue", "--people", str(args.people), "--tickets", str(tickets)]
    prepare += ["--seed", str(args.seed), "--team", args.team, "--kind", args.kind]
    with running_ticket_site(
        database, prepare=prepare, workers=args.workers, keep=args.keep, say=say
    ) as site:
        facts = site.facts
        cookie = sign_in(site.url, email=facts["email"], password=facts["password"])
        web_headers = {**PROXY_HEADERS, "Cookie": cookie, "Accept": "text/html"}
        api_headers = {
            **PROXY_HEADERS,
            "Authorization": f"Bearer {facts['token']}",
            "Accept": "application/json",
        }
        figures: dict[str, Any] = {}
        for name, path, headers in (
            ("web", facts["web"]["path"], web_headers),
            ("api", facts["api"]["path"], api_headers),
        ):
            say(f"{database}: {name}: {args.warmup:g}s warm-up, then measuring {path}")
            load = _loader(site.url, path, headers, args.concurrency)
            figures[name] = {**_endpoint(facts[name]), **measure_phase(site, load, args)}
        return {
            "database": database,
            "database_version": facts["database_version"],
            "people": args.people,
            "tickets": facts["tickets"],
            "kind": args.kind,
            "open_tickets": facts["open_tickets"],
            "team": facts["team"],
            "as": "agent",
            "concurrency": args.concurrency,
            "warmup_s": args.warmup,
            **figures,
            "sql": facts["sql"],
            "server": f"gunicorn {site.workers} workers (sync)",
            "loadavg_1m_before": round(load_before, 2),
            "setup_s": facts["setup_s"],
        }


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    yield from each_database(
        databases(args.database), lambda database: measure(args, database), say
    )
