"""Trend detection over a million incidents in its 30-day window.

Run against a migrated PostgreSQL database of its own (``DATABASE_URL``, a name containing
"bench"; incidents are added to it, so use a fresh one)::

    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/steward_bench_trends
    .venv/bin/steward manage migrate
    .venv/bin/python -m bench.problem_trends --incidents 1000000 [--runs 3] [--seed 1]

The data: ``--cis`` configuration items (default 20,000; every 20th a service) and 40
incident categories. ``--clusters`` recurring issues (default 300) each get 20 to 80
incidents on one configuration item and category, worded alike (one subject and symptom,
varied phrasing). Every other incident is noise: a random configuration item (10% only a
service), a random category (5% none) and a random sentence from an IT vocabulary. All are
opened evenly over the 30 days before now, 30% still open. Rows go in with ``COPY`` (the
ticket row and the incident row; no audit entries, no search entries), then the database
gathers statistics.

Measured, ``--runs`` times: ``problems.services.proposals.detect_problems`` as the schedule
runs it (the grouping query over the window, the texts of the largest groups, the clustering,
writing the proposals). The first run proposes; later runs find the same clusters and write
nothing new. Prints one JSON line: the seconds of each run, what the runs found, and how many
planted issues came back as proposals.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

SUBJECTS = (
    "printer",
    "vpn",
    "outlook",
    "mailbox",
    "password",
    "wifi",
    "monitor",
    "docking station",
    "sharepoint",
    "onedrive",
    "browser",
    "certificate",
    "phone",
    "headset",
    "scanner",
    "database",
    "backup",
    "firewall",
    "license",
    "calendar",
    "badge reader",
    "payroll app",
    "crm",
    "erp",
    "file share",
    "citrix",
    "teams",
    "laptop",
)
SYMPTOMS = (
    "offline",
    "slow",
    "crashes",
    "freezes",
    "locked",
    "expired",
    "missing",
    "disconnects",
    "blank",
    "error 500",
    "access denied",
    "full",
    "stuck",
    "times out",
    "fails to start",
    "unreachable",
)
CONTEXT = (
    "after the update",
    "on the third floor",
    "from home",
    "since this morning",
    "every few minutes",
    "for the whole team",
    "when opening attachments",
    "at login",
    "during the nightly job",
    "in the branch office",
)
OPENERS = ("", "Again: ", "Urgent - ", "User reports ", "Ticket: ")
FILLER = (
    "the user tried a restart",
    "colleagues see the same",
    "it worked yesterday",
    "please help",
    "no change after reboot",
    "screenshot attached",
    "the manager is waiting",
    "cannot work",
)
CATEGORIES = 40


def refuse_unless_bench_database() -> None:
    """Incidents are added in bulk: only in a database named for benchmarks."""
    from django.db import connection

    name = str(connection.settings_dict["NAME"])
    if "bench" not in name.rsplit("/", 1)[-1]:
        sys.exit(
            f"refusing to fill {name!r}: point DATABASE_URL at a database of its own whose "
            "name says bench (e.g. postgres://.../steward_bench_trends)"
        )


def _sentence(rng: random.Random, subject: str, symptom: str) -> tuple[str, str]:
    title = f"{rng.choice(OPENERS)}{subject} {symptom} {rng.choice(CONTEXT)}".strip()
    body = f"{subject.capitalize()} {symptom}. {rng.choice(FILLER)}, {rng.choice(FILLER)}."
    return title[:200], body


def _insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Rows into ``table``: ``COPY`` on PostgreSQL, ``executemany`` elsewhere (tests)."""
    from django.db import connection

    count = 0
    if connection.vendor == "postgresql":
        raw: Any = connection.connection
        with (
            raw.cursor() as cursor,
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    batch = list(rows)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", batch)
    return len(batch)


def _ensure_setup(cis: int, seed: int) -> tuple[Any, list[int], list[int], list[int]]:
    """The requester, the CIs (every 20th a service) and the categories."""
    from steward.accounts.models import Person
    from steward.cmdb.choices import CITypeKind
    from steward.cmdb.models import CIType, ConfigurationItem
    from steward.incidents.models import Category

    requester, _ = Person.objects.get_or_create(
        email="bench-trends@example.org", defaults={"full_name": "Bench requester"}
    )
    component, _ = CIType.objects.get_or_create(
        code="bench-component", defaults={"name": "Bench component", "kind": CITypeKind.COMPONENT}
    )
    service, _ = CIType.objects.get_or_create(
        code="bench-service",
        defaults={"name": "Bench service", "kind": CITypeKind.BUSINESS_SERVICE},
    )
    ConfigurationItem.objects.bulk_create(
        [
            ConfigurationItem(
                name=f"bench-ci-{n:06d}", ci_type=service if n % 20 == 0 else component
            )
            for n in range(cis)
        ],
        batch_size=5000,
    )
    items = list(
        ConfigurationItem.objects.filter(name__startswith="bench-ci-")
        .order_by("pk")
        .values_list("pk", "ci_type_id")
    )
    services = [pk for pk, kind in items if kind == service.pk]
    components = [pk for pk, kind in items if kind != service.pk]
    Category.objects.bulk_create(
        [Category(name=f"Bench category {n}", code=f"bench-cat-{n}") for n in range(CATEGORIES)]
    )
    categories = list(
        Category.objects.filter(code__startswith="bench-cat-").values_list("pk", flat=True)
    )
    return requester, components, services, categories


def plant_issues(
    rng: random.Random, components: Sequence[int], categories: Sequence[int], clusters: int
) -> list[tuple[int, int, str, str, int]]:
    """The recurring issues: a CI, a category, a subject and symptom, and how many times."""
    return [
        (
            rng.choice(components),
            rng.choice(categories),
            rng.choice(SUBJECTS),
            rng.choice(SYMPTOMS),
            rng.randint(20, 80),
        )
        for _ in range(clusters)
    ]


def planted_again(clusters: int, seed: int) -> list[tuple[int, int]]:
    """The (CI, category) of the issues ``fill`` planted with ``seed`` (for ``--reuse``)."""
    from steward.cmdb.models import ConfigurationItem
    from steward.incidents.models import Category

    items = list(
        ConfigurationItem.objects.filter(name__startswith="bench-ci-")
        .order_by("pk")
        .values_list("pk", "ci_type__code")
    )
    components = [pk for pk, code in items if code != "bench-service"]
    categories = list(
        Category.objects.filter(code__startswith="bench-cat-").values_list("pk", flat=True)
    )
    issues = plant_issues(random.Random(seed), components, categories, clusters)
    return [(ci, category) for ci, category, *_ in issues]


def fill(*, incidents: int, cis: int, clusters: int, seed: int) -> dict[str, Any]:
    """Insert ``incidents`` incidents into the 30 days before now; returns what was made."""
    from django.db import connection, transaction
    from django.utils import timezone

    from steward.incidents.models import Incident
    from steward.tickets.models import Ticket

    if Incident.objects.exists():
        raise SystemExit("The database already holds incidents: use a fresh one.")
    rng = random.Random(seed)
    started = time.perf_counter()
    with transaction.atomic():
        requester, components, services, categories = _ensure_setup(cis, seed)
        now = timezone.now()
        window = timedelta(days=30)
        planted = plant_issues(rng, components, categories, clusters)
        plan: list[tuple[int | None, int | None, int | None, str, str, int]] = []
        for number, (ci, category, subject, symptom, size) in enumerate(planted):
            for _ in range(size):
                title, body = _sentence(rng, subject, symptom)
                plan.append((ci, None, category, title, body, number))
        while len(plan) < incidents:
            title, body = _sentence(rng, rng.choice(SUBJECTS), rng.choice(SYMPTOMS))
            only_service = rng.random() < 0.10
            plan.append(
                (
                    None if only_service else rng.choice(components),
                    rng.choice(services) if only_service or rng.random() < 0.3 else None,
                    None if rng.random() < 0.05 else rng.choice(categories),
                    title,
                    body,
                    -1,
                )
            )
        plan = plan[:incidents]
        rng.shuffle(plan)
        first_id = (Ticket.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        ticket_columns = [str(f.column) for f in Ticket._meta.local_concrete_fields]
        incident_columns = [str(f.column) for f in Incident._meta.local_concrete_fields]

        def tickets() -> Iterable[list[Any]]:
            for offset, (ci, service, _category, title, body, _n) in enumerate(plan):
                opened = now - window + window * (offset + 0.5) / len(plan)
                is_open = rng.random() < 0.3
                values = {
                    "id": first_id + offset,
                    "kind": "incidents.incident",
                    "number": f"INC{first_id + offset:08d}",
                    "title": title,
                    "description": body,
                    "resolution": "" if is_open else "Fixed.",
                    "requester_id": requester.pk,
                    "organisation_id": None,
                    "assignee_id": None,
                    "team_id": None,
                    "service_id": service,
                    "configuration_item_id": ci,
                    "impact": 3,
                    "urgency": 3,
                    "priority": 5,
                    "state": "in_progress" if is_open else "closed",
                    "state_category": "in_progress" if is_open else "closed",
                    "opened_at": opened,
                    "first_response_at": None,
                    "resolved_at": None if is_open else opened + timedelta(hours=4),
                    "closed_at": None if is_open else opened + timedelta(days=3),
                    "updated_at": opened,
                    "version": 1,
                }
                yield [values[c] for c in ticket_columns]

        def incident_rows() -> Iterable[list[Any]]:
            for offset, (_ci, _service, category, _title, _body, _n) in enumerate(plan):
                values: dict[str, Any] = {
                    "ticket_ptr_id": first_id + offset,
                    "category_id": category,
                    "subcategory_id": None,
                    "contact_type": "portal",
                    "hold_reason": "",
                    "resolution_code": "",
                    "reopen_count": 0,
                    "reassignment_count": 0,
                    "auto_close_at": None,
                    "is_major": False,
                    "major_declared_at": None,
                    "major_declared_by_id": None,
                    "major_manager_id": None,
                }
                yield [values[c] for c in incident_columns]

        made = _insert(Ticket._meta.db_table, ticket_columns, tickets())
        _insert(Incident._meta.db_table, incident_columns, incident_rows())
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                    [Ticket._meta.db_table, first_id + made],
                )
    if connection.vendor == "postgresql":
        # VACUUM refuses a transaction (a test's); statistics are what the planner needs.
        verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
        with connection.cursor() as cursor:
            cursor.execute(f"{verb} {Ticket._meta.db_table}")
            cursor.execute(f"{verb} {Incident._meta.db_table}")
    return {
        "incidents": made,
        "planted_issues": clusters,
        "planted_incidents": sum(p[4] for p in planted),
        "cis": cis,
        "fill_s": round(time.perf_counter() - started, 1),
        "_planted": [(ci, category) for ci, category, *_ in planted],
    }


def measure(runs: int, planted: Sequence[tuple[int, int]] = ()) -> dict[str, Any]:
    """Time ``detect_problems`` ``runs`` times as the schedule runs it."""
    from steward.core import context
    from steward.problems.models import ProblemProposal
    from steward.problems.services import proposals

    seconds = []
    outcomes = []
    for _ in range(runs):
        started = time.perf_counter()
        with context.acting("task"):
            outcome = proposals.detect_problems(actor=None)
        seconds.append(round(time.perf_counter() - started, 2))
        outcomes.append(outcome.as_dict())
    found = set(
        ProblemProposal.objects.values_list("configuration_item_id", "category_id").distinct()
    )
    wanted = set(planted)
    last = outcomes[-1] if outcomes else {}
    return {
        "run_s": seconds,
        "first_run": {k: v for k, v in outcomes[0].items() if not isinstance(v, list)}
        | {"created": len(outcomes[0]["created"])}
        if outcomes
        else {},
        "last_run_written": len(last.get("created", [])) + len(last.get("updated", [])),
        "proposals": ProblemProposal.objects.count(),
        "planted_issues_found": len(wanted & found),
        "planted_issues": len(wanted),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--incidents", type=int, default=1_000_000)
    parser.add_argument("--cis", type=int, default=20_000)
    parser.add_argument("--clusters", type=int, default=300)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reuse", action="store_true", help="Measure the incidents already there.")
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    import django

    django.setup()
    from django.db import connection

    refuse_unless_bench_database()
    result: dict[str, Any] = {"benchmark": "problem_trends", "database": connection.vendor}
    planted: list[tuple[int, int]] = []
    if not options.reuse:
        facts = fill(
            incidents=options.incidents,
            cis=options.cis,
            clusters=options.clusters,
            seed=options.seed,
        )
        planted = facts.pop("_planted")
        result.update(facts)
        print(f"filled in {facts['fill_s']} s", file=sys.stderr)
    else:
        planted = planted_again(options.clusters, options.seed)
    result.update(measure(options.runs, planted))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
