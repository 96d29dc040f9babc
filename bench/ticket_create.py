"""Ticket creation through the API: creations per second, latency, and what they left behind.

For each database: a fresh site with ``--people`` people and ``--tickets`` tickets already
there (100,000 by default), served by gunicorn with 2 sync workers in production settings.
``--concurrency`` client threads (4) POST ``/api/v1/tickets/`` as an agent with a token for
``--duration`` seconds (15) after a warm-up: each a new ticket for a random requester (of
200), routed to the agent's team, with a random impact and urgency. Every creation runs
``tickets.services.create_ticket``: permission and party checks, the priority matrix, the
workflow's first state, a number from the ``task`` sequence and the audit entry, in one
transaction.

Afterwards it checks every ticket created (warm-up and in-process ones included): numbers
unique, how many numbers were skipped (gaps), and exactly one ``ticket.created`` audit entry
each.
"""

from __future__ import annotations

import argparse
import os
import random
from collections.abc import Iterator
from typing import Any

import httpx

from bench.generate_tickets import KINDS
from bench.tickets_common import (
    PROXY_HEADERS,
    add_load_arguments,
    add_site_arguments,
    creation_load,
    databases,
    each_database,
    measure_phase,
    speaker,
    tickets_count,
)
from bench.tickets_prepare import API_PATHS, creation_body
from bench.tickets_site import running_ticket_site

NAME = "ticket_create"
SUMMARY = "POST /api/v1/tickets/ as an agent: creations/s, latency, numbers and audit checked"

say = speaker(NAME)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_site_arguments(parser)
    parser.add_argument(
        "--tickets",
        type=tickets_count,
        default=100_000,
        help="tickets generated before (default 100000)",
    )
    parser.add_argument(
        "--kind",
        choices=sorted(API_PATHS),
        default="ticket",
        help="create plain tickets (default) or incidents (routed by assignment rules)",
    )
    parser.add_argument(
        "--sla",
        action="store_true",
        help="incidents: an SLA per requester organisation and an OLA for the team, so every "
        "creation attaches three clocks",
    )
    add_load_arguments(parser, duration=15.0)


def measure(args: argparse.Namespace, database: str) -> dict[str, Any]:
    load_before = os.getloadavg()[0]
    prepare = ["create", "--people", str(args.people), "--tickets", str(args.tickets)]
    prepare += ["--seed", str(args.seed), "--kind", args.kind]
    if args.sla:
        prepare.append("--sla")
    path = API_PATHS[args.kind]
    with running_ticket_site(
        database, prepare=prepare, workers=args.workers, keep=args.keep, say=say
    ) as site:
        facts = site.facts
        requesters, team = facts["requesters"], facts["team_id"]

        def create(client: httpx.Client, rng: random.Random) -> httpx.Response:
            body = creation_body(rng, requesters=requesters, team=team, kind=args.kind)
            return client.post(path, json=body)

        headers = {
            **PROXY_HEADERS,
            "Authorization": f"Bearer {facts['token']}",
            "Accept": "application/json",
        }
        load, phases = creation_load(site.url, create, headers=headers, args=args)
        say(f"{database}: {args.warmup:g}s warm-up, then creating at {args.concurrency}")
        figures = measure_phase(site, load, args)
        last_number = int(facts["last_number"].removeprefix(KINDS[args.kind].prefix))
        check = site.run(
            "check",
            "--kind",
            args.kind,
            "--after-id",
            str(facts["last_generated_id"]),
            "--after-number",
            str(last_number),
        )
        answered = sum(phase.statuses.get(201, 0) for phase in phases)
        check["created_201"] = answered + facts["in_process_created"]
        return {
            "database": database,
            "database_version": facts["database_version"],
            "endpoint": f"POST {path}",
            "kind": args.kind,
            "as": "agent",
            "people": args.people,
            "tickets_before": facts["tickets"],
            "agreements": facts["agreements"],
            "queries_per_creation": facts["queries_per_creation"],
            "in_process_ms": facts["in_process_ms"],
            "concurrency": args.concurrency,
            "warmup_s": args.warmup,
            **figures,
            "creations_per_s": figures["rps"],
            "check": check,
            "server": f"gunicorn {site.workers} workers (sync)",
            "loadavg_1m_before": round(load_before, 2),
            "setup_s": facts["setup_s"],
        }


def run(args: argparse.Namespace) -> Iterator[dict[str, Any]]:
    yield from each_database(
        databases(args.database), lambda database: measure(args, database), say
    )
