"""Set up one benchmark database; run by the runner in a process of its own.

``python -m bench.prepare --people N --as staff`` migrates the database the environment
names (``DATABASE_URL``), fills it with ``bench.generate``, creates an API token for one
person and asks the people list once through Django's test client, to learn what a request
costs in queries. It prints one JSON object on its last line of stdout: the token and those
facts. A process of its own, because Django reads its settings once per process and the
runner benchmarks several databases in a row.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from steward.accounts.models import Person

PEOPLE_PATH = "/api/v1/people/"
TOKEN_NAME = "benchmark"


def _person_acting_as(kind: str) -> Person:
    """The person whose token drives the load: an agent, or a requester in a sharing org.

    The requester belongs to the largest organisation that lets its requesters see each
    other, so their list is the biggest a requester can get.
    """
    from django.db.models import Count

    from steward.accounts.choices import RoleCode
    from steward.accounts.models import Organisation, Person

    people = Person.objects.filter(is_active=True).order_by("id")
    if kind == "staff":
        person = people.filter(roles__code=RoleCode.AGENT).first()
    else:
        sharing = (
            Organisation.objects.filter(requesters_see_organisation=True)
            .annotate(size=Count("people"))
            .order_by("-size", "id")
            .first()
        )
        requesters = people.filter(roles__code=RoleCode.REQUESTER)
        if sharing is not None:
            requesters = requesters.filter(organisation=sharing)
        person = requesters.first()
    if person is None:
        raise RuntimeError(f"The generated data has no active {kind} person to act as.")
    return person


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def _request_facts(token: str, *, repeat: int = 20) -> dict[str, Any]:
    """Ask the list in-process (no HTTP server): its queries, its size, its median time."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    headers = {"Authorization": f"Bearer {token}"}
    client.get(PEOPLE_PATH, headers=headers, secure=True)  # records the token's first use
    with CaptureQueriesContext(connection) as queries:
        response = client.get(PEOPLE_PATH, headers=headers, secure=True)
    if response.status_code != 200:
        raise RuntimeError(f"{PEOPLE_PATH} answered {response.status_code}: {response.content!r}")
    # Count now: captured_queries is read lazily, and every request clears the query log.
    query_count = len(queries.captured_queries)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(PEOPLE_PATH, headers=headers, secure=True)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "page_size": len(response.json()["results"]),
        "response_bytes": len(response.content),
        "queries_per_request": query_count,
        "in_process_ms": round(statistics.median(timings), 2),
    }


def prepare(*, people: int, acting_as: str, seed: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from bench.generate import generate
    from steward.accounts import services
    from steward.accounts.models import Person
    from steward.core import context

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()
    generate(people=people, seed=seed)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # what autovacuum would do soon after a bulk load
    generated = time.perf_counter()
    person = _person_acting_as(acting_as)
    with context.acting("cli"):
        _, token = services.create_api_token(actor=None, person=person, name=TOKEN_NAME)
    return {
        "token": token,
        "person_id": person.pk,
        "rows": Person.objects.count(),
        "visible_rows": Person.objects.visible_to(person).count(),
        "database_version": _database_version(),
        "migrate_s": round(migrated - started, 2),
        "generate_s": round(generated - migrated, 2),  # with ANALYZE on PostgreSQL
        **_request_facts(token),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.prepare", description=__doc__)
    parser.add_argument("--people", type=int, required=True)
    parser.add_argument("--as", dest="acting_as", choices=["staff", "requester"], default="staff")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    django.setup()
    facts = prepare(people=args.people, acting_as=args.acting_as, seed=args.seed)
    print(json.dumps(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
