"""The Django side of the ticket benchmarks; run by them in processes of their own.

    python -m bench.tickets_prepare queue  --people P --tickets N [--team busiest|median]
    python -m bench.tickets_prepare create --people P --tickets N
    python -m bench.tickets_prepare check  --after-id ID --after-number N
    python -m bench.tickets_prepare audit  --people P --entries N
    python -m bench.tickets_prepare seal
    python -m bench.tickets_prepare verify

``queue``, ``create`` and ``audit`` fill the database the environment names
(``DATABASE_URL``): ``migrate``, ``bench.generate`` (people and teams),
``bench.generate_tickets`` (with audit entries for ``audit``) and ``VACUUM ANALYZE``. Then
``queue`` signs an agent of the chosen team in (a password and an API token for the load
driver), asks the web queue and the API list once in-process to count their queries, and
explains their ticket queries; ``create`` gives an agent a token and creates a few tickets
in-process to count the queries of one creation. ``check`` verifies what the load created.
``seal`` and ``verify`` time the audit chain, each in a fresh process so its peak memory is
its own. Each prints one JSON object on the last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import statistics
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bench.tickets_sla import service_levels

if TYPE_CHECKING:
    from django.test import Client

    from steward.accounts.models import Person, Team

TICKETS_PATH = "/api/v1/tickets/"
INCIDENTS_PATH = "/api/v1/incidents/"
#: Where each kind is created and listed through the API.
API_PATHS = {"ticket": TICKETS_PATH, "incident": INCIDENTS_PATH}
QUEUE_PATH = "/tickets/"
TOKEN_NAME = "benchmark"
#: Requesters the creation load picks from (each request a random one of them).
REQUESTER_SAMPLE = 200
IN_PROCESS_REPEAT = 20
EXPLAIN_REPEAT = 3


def queue_path(team_id: int) -> str:
    """The agent's queue for one team, by priority then age (the web UI's default sort)."""
    return f"{QUEUE_PATH}?team={team_id}&sort=priority"


def api_path(team_id: int, kind: str = "ticket") -> str:
    """The same queue through the API: the team's open tickets (or incidents) by priority."""
    return f"{API_PATHS[kind]}?team={team_id}&is_open=true&ordering=priority"


# --- plans ---------------------------------------------------------------------------------


def plan_summary(plan: dict[str, Any]) -> str:
    """A PostgreSQL JSON plan node as one line: ``Limit > Sort(top-N heapsort) > Index Scan
    [ticket_team_queue]``; children of a node in parentheses, separated by ``+``."""
    label = str(plan["Node Type"])
    if "Sort Method" in plan:
        label += f"({plan['Sort Method']})"
    if "Index Name" in plan:
        label += f"[{plan['Index Name']}]"
    elif "Relation Name" in plan:
        label += f"[{plan['Relation Name']}]"
    children = [plan_summary(child) for child in plan.get("Plans", [])]
    if not children:
        return label
    if len(children) == 1:
        return f"{label} > {children[0]}"
    return f"{label} > ({' + '.join(children)})"


def indexes_used(plan: dict[str, Any]) -> list[str]:
    """Every index a plan reads, in plan order, each once."""
    found: list[str] = []
    stack = [plan]
    while stack:
        node = stack.pop(0)
        name = node.get("Index Name")
        if name and name not in found:
            found.append(name)
        stack[:0] = node.get("Plans", [])
    return found


def statement_tail(sql: str, limit: int = 400) -> str:
    """The part of a statement worth reading in a report: from its ``WHERE`` on."""
    position = sql.find(" WHERE ")
    tail = sql[position + 1 :] if position >= 0 else sql
    return tail if len(tail) <= limit else tail[: limit - 3] + "..."


def _explain(sql: str) -> dict[str, Any]:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            best, plan = float("inf"), {}
            for _ in range(EXPLAIN_REPEAT):
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
                document = cursor.fetchone()[0]
                document = json.loads(document) if isinstance(document, str) else document
                if document[0]["Execution Time"] < best:
                    best, plan = document[0]["Execution Time"], document[0]["Plan"]
            return {
                "ms": round(best, 2),
                "plan": plan_summary(plan),
                "indexes": indexes_used(plan),
                "rows": plan.get("Actual Rows"),
                "buffers_hit": plan.get("Shared Hit Blocks"),
                "buffers_read": plan.get("Shared Read Blocks"),
            }
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        steps = [str(row[-1]) for row in cursor.fetchall()]
        best = float("inf")
        for _ in range(EXPLAIN_REPEAT):
            started = time.perf_counter()
            cursor.execute(sql)
            rows = cursor.fetchall()
            best = min(best, (time.perf_counter() - started) * 1000)
        used = [m.group(1) for step in steps for m in re.finditer(r"INDEX (\w+)", step)]
        return {
            "ms": round(best, 2),
            "plan": "; ".join(steps),
            "indexes": used,
            "rows": len(rows),
        }


def explain_ticket_queries(endpoint: str, statements: Sequence[str]) -> list[dict[str, Any]]:
    """``EXPLAIN`` (``ANALYZE, BUFFERS`` on PostgreSQL) every statement reading tickets."""
    found = []
    for sql in statements:
        if '"tickets_ticket"' not in sql or not sql.lstrip().upper().startswith("SELECT"):
            continue
        kind = "count" if sql.lstrip().upper().startswith("SELECT COUNT(") else "rows"
        found.append(
            {"endpoint": endpoint, "query": kind, "sql": statement_tail(sql), **_explain(sql)}
        )
    return found


# --- filling -------------------------------------------------------------------------------


def _say(message: str) -> None:
    print(f"[tickets_prepare] {message}", file=sys.stderr, flush=True)


def _database_version() -> str:
    from bench.prepare import _database_version

    return _database_version()


def fill(
    *,
    people: int,
    tickets: int,
    seed: int,
    audit: bool = False,
    search: bool = False,
    kind: str = "ticket",
) -> dict[str, Any]:
    """Migrate, generate people and tickets, vacuum; the timings and what went in."""
    from django.core.management import call_command

    from bench.generate import generate
    from bench.generate_tickets import generate_tickets, vacuum_analyze

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)  # as `steward run` does
    migrated = time.perf_counter()
    generate(people=people, seed=seed)
    generated = time.perf_counter()
    result = generate_tickets(
        tickets=tickets, kind=kind, seed=seed, audit=audit, search=search, progress=_say
    )
    ticketed = time.perf_counter()
    vacuum_analyze()
    vacuumed = time.perf_counter()
    return {
        "database_version": _database_version(),
        "tickets": result.tickets,
        "open_tickets": result.open,
        "audit_entries_generated": result.audit_entries,
        "search_entries_generated": result.search_entries,
        "last_number": result.last_number,
        "setup_s": {
            "migrate_and_static": round(migrated - started, 2),
            "people": round(generated - migrated, 2),
            "tickets": round(ticketed - generated, 2),
            "vacuum_analyze": round(vacuumed - ticketed, 2),
        },
    }


def _team_for_queue(which: str) -> tuple[Team, int, int]:
    """The team with the most open tickets (``busiest``) or the median one."""
    from django.db.models import Count, Q

    from steward.accounts.models import Team
    from steward.core.workflow import Category

    counted = (
        Team.objects.filter(tickets__isnull=False)
        .annotate(
            all_tickets=Count("tickets"),
            open_tickets=Count("tickets", filter=Q(tickets__state_category__in=Category.OPEN)),
        )
        .order_by("-open_tickets", "id")
    )
    teams = list(counted)
    team = teams[0] if which == "busiest" else teams[len(teams) // 2]
    return team, team.all_tickets, team.open_tickets  # type: ignore[attr-defined]


def _agent_in(team: Team | None = None) -> Person:
    from steward.accounts.choices import RoleCode
    from steward.accounts.models import Person

    agents = Person.objects.filter(
        is_active=True, is_away=False, roles__code=RoleCode.AGENT, memberships__isnull=False
    )
    if team is not None:
        agents = agents.filter(memberships__team=team)
    agent = agents.order_by("id").first()
    if agent is None:
        raise RuntimeError(f"No active agent in {team or 'any team'} to act as.")
    return agent


def _token_for(person: Person) -> str:
    from steward.accounts import services
    from steward.core import context

    with context.acting("cli"):
        _, token = services.create_api_token(actor=None, person=person, name=TOKEN_NAME)
    return token


@contextmanager
def _captured() -> Iterator[list[str]]:
    """The SQL of the statements run inside the block (read after it ends)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    statements: list[str] = []
    with CaptureQueriesContext(connection) as queries:
        yield statements
    statements += [query["sql"] for query in queries.captured_queries]


def later_page(path: str, content: str) -> str | None:
    """A later page of the same list: the third page of the web queue, or the API's next
    page (its ``next`` link, made relative; none when everything fit on the first)."""
    if path.startswith(tuple(API_PATHS.values())):
        following = json.loads(content)["next"]
        if following is None:
            return None
        parts = urlsplit(following)
        return f"{parts.path}?{parts.query}"
    return f"{path}&page=3"


def _count_queries(client: Client, path: str, headers: dict[str, str]) -> tuple[Any, list[str]]:
    with _captured() as statements:
        response = client.get(path, headers=headers, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.content[:300]!r}")
    return response, statements


def _ask(client: Client, path: str, headers: dict[str, str]) -> dict[str, Any]:
    """One page in-process: its queries (and their SQL), its size, its median time, and the
    queries of a later page (the same number: nothing is asked per row)."""
    client.get(path, headers=headers, secure=True)  # warms caches, records the token's use
    response, statements = _count_queries(client, path, headers)
    following = later_page(path, response.content.decode())
    later = _count_queries(client, following, headers)[1] if following else None
    timings = []
    for _ in range(IN_PROCESS_REPEAT):
        started = time.perf_counter()
        client.get(path, headers=headers, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "response_bytes": len(response.content),
        "queries_per_page": len(statements),
        "queries_per_later_page": None if later is None else len(later),
        "in_process_ms": round(statistics.median(timings), 2),
        "statements": statements,
        "content": response.content.decode(),
    }


def prepare_queue(
    *, people: int, tickets: int, seed: int, team_choice: str, kind: str = "ticket"
) -> dict[str, Any]:
    from django.test import Client

    from steward.accounts import services
    from steward.core import context

    facts = fill(people=people, tickets=tickets, seed=seed, kind=kind)
    team, team_tickets, team_open = _team_for_queue(team_choice)
    agent = _agent_in(team)
    password = secrets.token_urlsafe(18)
    with context.acting("cli"):
        services.set_password(actor=None, person=agent, password=password)
    token = _token_for(agent)

    web_client = Client()
    web_client.force_login(agent)
    web = _ask(web_client, queue_path(team.pk), {})
    api = _ask(Client(), api_path(team.pk, kind), {"Authorization": f"Bearer {token}"})
    web_rows = web.pop("content").count('<tr class="priority-')
    api_rows = len(json.loads(api.pop("content"))["results"])
    sql = explain_ticket_queries("web", web.pop("statements"))
    sql += explain_ticket_queries("api", api.pop("statements"))
    return {
        **facts,
        "token": token,
        "email": agent.email,
        "password": password,
        "agent_id": agent.pk,
        "team": {
            "id": team.pk,
            "name": team.name,
            "choice": team_choice,
            "tickets": team_tickets,
            "open": team_open,
        },
        "web": {"path": queue_path(team.pk), "page_rows": web_rows, **web},
        "api": {"path": api_path(team.pk, kind), "page_rows": api_rows, **api},
        "sql": sql,
    }


def creation_body(
    rng: random.Random, *, requesters: Sequence[int], team: int, kind: str = "ticket"
) -> dict[str, Any]:
    """What an agent logging a call sends: for a requester, routed to their own team.

    An incident names no team: it is a phone call, and the assignment rules route it.
    """
    from bench.generate_tickets import DESCRIPTIONS, PROBLEMS, SUBJECTS

    body: dict[str, Any] = {
        "title": f"{rng.choice(SUBJECTS)} {rng.choice(PROBLEMS)}",
        "description": rng.choice(DESCRIPTIONS),
        "requester": rng.choice(requesters),
        "impact": rng.randint(1, 3),
        "urgency": rng.randint(1, 3),
    }
    if kind == "incident":
        body["contact_type"] = "phone"
    else:
        body["team"] = team
    return body


def _route_calls_to(team_id: int) -> None:
    """Assignment rules as a service desk has them: a few that do not match a phone call
    (first), then phone calls to the agent's team, round robin among its members."""
    from steward.accounts.models import Team
    from steward.core import context
    from steward.incidents import services

    team = Team.objects.get(pk=team_id)
    with context.acting("cli"):
        for order, contact_type in enumerate(("email", "monitoring", "chat"), start=1):
            services.create_assignment_rule(
                actor=None,
                name=f"{contact_type} to {team.name}",
                order=order * 10,
                contact_type=contact_type,
                team=team,
            )
        services.create_assignment_rule(
            actor=None,
            name=f"Phone calls to {team.name}",
            order=100,
            contact_type="phone",
            team=team,
        )


def prepare_create(
    *, people: int, tickets: int, seed: int, kind: str = "ticket", sla: bool = False
) -> dict[str, Any]:
    from django.test import Client

    from steward.accounts.choices import RoleCode
    from steward.accounts.models import Person
    from steward.tickets.models import Ticket

    facts = fill(people=people, tickets=tickets, seed=seed, search=True, kind=kind)
    agent = _agent_in()
    team_id = agent.memberships.order_by("team_id").values_list("team_id", flat=True).first()
    assert team_id is not None
    if kind == "incident":
        _route_calls_to(team_id)
    path = API_PATHS[kind]
    requester_ids = list(
        Person.objects.filter(roles__code=RoleCode.REQUESTER, is_active=True).values_list(
            "id", flat=True
        )
    )
    requesters = sorted(random.Random(seed).sample(requester_ids, REQUESTER_SAMPLE))
    agreements = service_levels(requesters, team_id) if sla else 0
    token = _token_for(agent)
    last_id = Ticket.objects.order_by("-id").values_list("id", flat=True).first() or 0

    client, rng = Client(), random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    timings, query_counts = [], []
    for _ in range(IN_PROCESS_REPEAT):
        body = creation_body(rng, requesters=requesters, team=team_id, kind=kind)
        with _captured() as statements:
            started = time.perf_counter()
            response = client.post(path, body, "application/json", headers=headers, secure=True)
            timings.append((time.perf_counter() - started) * 1000)
        if response.status_code != 201:
            raise RuntimeError(
                f"POST {path} answered {response.status_code}: {response.content[:300]!r}"
            )
        query_counts.append(len(statements))
    return {
        **facts,
        "token": token,
        "agent_id": agent.pk,
        "team_id": team_id,
        "requesters": requesters,
        "last_generated_id": last_id,
        "in_process_created": IN_PROCESS_REPEAT,
        "agreements": agreements,
        "queries_per_creation": statistics.median(query_counts[1:]),
        "in_process_ms": round(statistics.median(timings[1:]), 2),
    }


def number_gaps(values: Sequence[int], *, after: int) -> int:
    """Numbers missing between ``after`` (the last one before) and the highest in ``values``."""
    if not values:
        return 0
    return max(values) - after - len(set(values))


def check_created(*, after_id: int, after_number: int, kind: str = "ticket") -> dict[str, Any]:
    """Tickets above ``after_id``: unique numbers, gaps, one ``created`` entry each, and for
    incidents how many the assignment rules routed to a team and a person."""
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from bench.generate_tickets import KINDS
    from steward.core.models import AuditEntry
    from steward.servicedesk.models.outbound import OutboundEmail
    from steward.tickets.models import Ticket

    chosen = KINDS[kind]
    rows = list(Ticket.objects.filter(id__gt=after_id).values_list("id", "number"))
    values = [int(number.removeprefix(chosen.prefix)) for _, number in rows]
    entries = dict(
        AuditEntry.objects.filter(
            action=chosen.action,
            object_type=chosen.label,
            object_id__in=[str(pk) for pk, _ in rows],
        )
        .values_list("object_id")
        .annotate(n=Count("id"))
        .values_list("object_id", "n")
    )
    not_one = sum(1 for pk, _ in rows if entries.get(str(pk), 0) != 1)
    return {
        "created": len(rows),
        "numbers_unique": len(set(values)) == len(values),
        "first_number": min(values, default=None),
        "last_number": max(values, default=None),
        "number_gaps": number_gaps(values, after=after_number),
        "tickets_without_exactly_one_created_entry": not_one,
        "notifications_queued": OutboundEmail.objects.filter(ticket_id__gt=after_id).count(),
        "sending_tasks_enqueued": DBTaskResult.objects.filter(
            task_path__endswith="send_outbound_emails"
        ).count(),
        "routed_to_a_person": Ticket.objects.filter(
            id__gt=after_id, team__isnull=False, assignee__isnull=False
        ).count(),
    }


# --- command line --------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.tickets_prepare", description=__doc__)
    verbs = parser.add_subparsers(dest="verb", required=True)
    for verb in ("queue", "create", "audit", "search"):
        sub = verbs.add_parser(verb)
        sub.add_argument("--people", type=int, required=True)
        sub.add_argument("--seed", type=int, default=1)
        sub.add_argument("--entries" if verb == "audit" else "--tickets", type=int, required=True)
        if verb == "queue":
            sub.add_argument("--team", choices=["busiest", "median"], default="busiest")
        if verb in ("queue", "create", "search"):
            sub.add_argument("--kind", choices=sorted(API_PATHS), default="ticket")
        if verb == "create":
            sub.add_argument("--sla", action="store_true")
    check = verbs.add_parser("check")
    check.add_argument("--kind", choices=sorted(API_PATHS), default="ticket")
    check.add_argument("--after-id", type=int, required=True)
    check.add_argument("--after-number", type=int, required=True)
    verbs.add_parser("seal")
    verbs.add_parser("verify")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    django.setup()
    facts: dict[str, Any]
    if args.verb == "queue":
        facts = prepare_queue(
            people=args.people,
            tickets=args.tickets,
            seed=args.seed,
            team_choice=args.team,
            kind=args.kind,
        )
    elif args.verb == "create":
        facts = prepare_create(
            people=args.people, tickets=args.tickets, seed=args.seed, kind=args.kind, sla=args.sla
        )
    elif args.verb == "search":
        from bench.search_prepare import prepare_search

        facts = prepare_search(
            people=args.people, tickets=args.tickets, seed=args.seed, kind=args.kind
        )
    elif args.verb == "audit":
        from bench.audit_prepare import prepare_audit

        facts = prepare_audit(people=args.people, entries=args.entries, seed=args.seed)
    elif args.verb == "check":
        facts = check_created(
            after_id=args.after_id, after_number=args.after_number, kind=args.kind
        )
    elif args.verb == "seal":
        from bench.audit_prepare import seal

        facts = seal()
    else:
        from bench.audit_prepare import verify

        facts = verify()
    print(json.dumps(facts, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
