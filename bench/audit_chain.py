"""The audit log's hash chain at scale: sealing throughput and ``steward audit verify``.

For each database: a fresh database with ``--people`` people and ``--entries`` tickets, each
with its ``ticket.created`` audit entry (``bench.generate_tickets --audit``; 1,000,000 on
PostgreSQL and 100,000 on SQLite by default), all unsealed, vacuumed and analysed. Then, each
in a process of its own (so its peak memory is its own), with production settings and no web
server:

1. ``core.auditchain.seal_pending(lookback=None)``: seal every entry, as ``steward audit
   seal`` does (5,000 a transaction); then the same call again with nothing left to seal;
2. ``steward audit verify`` (the management command): recompute the whole chain.

Each reports wall seconds, entries per second, CPU seconds of the Python process and of its
PostgreSQL backend, and memory (resident before, and peak).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from typing import Any

from bench.api_list import _positive_int
from bench.tickets_common import (
    add_site_arguments,
    databases,
    each_database,
    size_for,
    speaker,
)
from bench.tickets_site import running_ticket_site

NAME = "audit_chain"
SUMMARY = "seal 1M audit entries and verify the chain: entries/s, seconds, peak memory"
DEFAULT_ENTRIES = {"postgres": 1_000_000, "sqlite": 100_000}

say = speaker(NAME)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument(
        "--entries",
        type=_positive_int,
        help="audit entries (one per ticket; default 1000000 on PostgreSQL, 100000 on SQLite)",
    )


def per_second(count: int | None, seconds: float) -> float | None:
    if not count or seconds <= 0:
        return None
    return round(count / seconds, 1)


def measure(args: argparse.Namespace, database: str) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    entries = size_for(database, args.entries, **DEFAULT_ENTRIES)
    prepare = ["audit", "--people", str(args.people), "--entries", str(entries)]
    prepare += ["--seed", str(args.seed)]
    with running_ticket_site(
        database, prepare=prepare, serve=False, keep=args.keep, say=say
    ) as site:
        facts = site.facts
        say(f"{database}: sealing {facts['audit_entries']} entries")
        sealed = site.run("seal")
        say(f"{database}: verifying")
        verified = site.run("verify")
        return {
            "database": database,
            "database_version": facts["database_version"],
            "people": args.people,
            "tickets": facts["tickets"],
            "audit_entries": facts["audit_entries"],
            "seal": {**sealed, "entries_per_s": per_second(sealed["sealed"], sealed["seconds"])},
            "verify": {
                **verified,
                "entries_per_s": per_second(verified["verified"], verified["seconds"]),
            },
            "loadavg_1m_before": round(load_before, 2),
            "setup_s": facts["setup_s"],
        }


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    yield from each_database(
        databases(args.database), lambda database: measure(args, database), say
    )
