"""Set up and check the peer site's database; each command prints JSON facts on its last line.

Run in the peer's virtualenv from ``bench/peers/helpdesk`` with the site's environment::

    python -m peer_site.prepare create --bodies BODIES.json
    python -m peer_site.prepare check --after-id N

``create`` migrates, adds a staff superuser with an API token and one queue, then creates a
ticket in-process (Django's test client, no HTTP server) for each body in ``BODIES.json``
through the same API the benchmark drives, counting its SQL statements and e-mails.
``check`` counts what exists above ticket ``N``: tickets, their follow-ups, and the
follow-ups that recorded e-mail recipients.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import time
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

#: Where django-helpdesk's ticket API answers under this site's URLs.
TICKETS_PATH = "/helpdesk/api/tickets/"
AGENT_USERNAME = "bench-agent"
AGENT_EMAIL = "agent@peer.invalid"
QUEUE_SLUG = "desk"


def _setup() -> None:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_site.settings")
    django.setup()


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    return f"PostgreSQL {row[0]}"


def _versions() -> dict[str, str]:
    return {
        name: metadata.version(name)
        for name in ("django-helpdesk", "django", "djangorestframework", "gunicorn")
    }


def _last_ticket_id() -> int:
    from helpdesk.models import Ticket

    last: int | None = Ticket.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def create(bodies: Sequence[dict[str, Any]]) -> dict[str, Any]:
    from django.conf import settings
    from django.contrib.auth.models import User  # the peer site keeps Django's own
    from django.core import mail
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from helpdesk.models import Queue
    from rest_framework.authtoken.models import Token

    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    migrated = time.perf_counter()
    agent = User.objects.create_superuser(
        username=AGENT_USERNAME, email=AGENT_EMAIL, password=secrets.token_urlsafe(24)
    )
    token = Token.objects.create(user=agent).key
    queue = Queue.objects.create(
        title="Service desk", slug=QUEUE_SLUG, email_address="desk@peer.invalid"
    )
    last_id = _last_ticket_id()

    client = Client()
    headers = {"Authorization": f"Token {token}"}
    timings: list[float] = []
    query_counts: list[int] = []
    emails: list[int] = []
    for body in bodies:
        sent_before = len(getattr(mail, "outbox", []))
        with CaptureQueriesContext(connection) as statements:
            begun = time.perf_counter()
            response = client.post(
                TICKETS_PATH,
                {**body, "queue": queue.pk},
                "application/json",
                headers=headers,
                secure=True,
            )
            timings.append((time.perf_counter() - begun) * 1000)
        if response.status_code != 201:
            raise RuntimeError(
                f"POST {TICKETS_PATH} answered {response.status_code}: {response.content[:300]!r}"
            )
        query_counts.append(len(statements))
        emails.append(len(getattr(mail, "outbox", [])) - sent_before)
    measured = slice(1, None) if len(bodies) > 1 else slice(None)  # the first one warms up
    return {
        "database_version": _database_version(),
        "versions": _versions(),
        "email_backend": settings.EMAIL_BACKEND,
        "token": token,
        "queue_id": queue.pk,
        "last_ticket_id_before": last_id,
        "in_process_created": len(bodies),
        "queries_per_creation": statistics.median(query_counts[measured]) if bodies else None,
        "in_process_ms": round(statistics.median(timings[measured]), 2) if bodies else None,
        "emails_per_creation": statistics.median(emails[measured]) if bodies else None,
        "setup_s": {"migrate": round(migrated - started, 2)},
    }


def check(*, after_id: int) -> dict[str, Any]:
    from helpdesk.models import FollowUp, Ticket

    tickets = Ticket.objects.filter(id__gt=after_id)
    followups = FollowUp.objects.filter(ticket__id__gt=after_id)
    return {
        "tickets": tickets.count(),
        "followups": followups.count(),
        "followups_with_email_recipients": followups.exclude(email_recipients__isnull=True)
        .exclude(email_recipients=[])
        .count(),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m peer_site.prepare")
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("create", help="migrate, agent and token, queue, in-process")
    make.add_argument("--bodies", type=Path, help="JSON list of ticket bodies to create")
    look = commands.add_parser("check", help="count tickets and follow-ups above an id")
    look.add_argument("--after-id", type=int, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup()
    if args.command == "create":
        bodies = json.loads(args.bodies.read_text()) if args.bodies else []
        facts = create(bodies)
    else:
        facts = check(after_id=args.after_id)
    print(json.dumps(facts), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
