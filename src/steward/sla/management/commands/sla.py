"""``steward sla sweep [--at TIME] [--json]`` | ``replay NUMBER`` | ``explain NUMBER``.

``sweep`` acts on the warning thresholds and breaches reached now (or at ``--at``) and prints
what it did. ``replay`` rebuilds a ticket's clocks from its audit history and compares them with
the live ones (exit 1 when they differ). ``explain`` says why each clock of a ticket is due when
it is. All of them run as the system, like the worker.
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from steward.core import context
from steward.sla import services
from steward.sla.models import SlaClock
from steward.tickets.models import Ticket


def _ticket(number: str) -> Ticket:
    ticket = Ticket.objects.filter(number=number.strip().upper()).first()
    if ticket is None:
        raise CommandError(f"No ticket {number}.")
    return ticket


class Command(BaseCommand):
    help = "Service level clocks: sweep, replay NUMBER, explain NUMBER."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sweep = sub.add_parser("sweep", help="Act on thresholds and breaches reached.")
        sweep.add_argument("--at", default=None, help="ISO time to sweep at (default now).")
        sweep.add_argument("--json", action="store_true")
        replay = sub.add_parser("replay", help="Rebuild a ticket's clocks from its history.")
        replay.add_argument("number")
        replay.add_argument("--json", action="store_true")
        explain = sub.add_parser("explain", help="Why each clock of a ticket is due when it is.")
        explain.add_argument("number")
        explain.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting("cli"):
            getattr(self, f"_{options['action']}")(options)

    def _out(self, options: dict[str, Any], data: Any) -> bool:
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2, cls=DjangoJSONEncoder))
            return True
        return False

    def _sweep(self, options: dict[str, Any]) -> None:
        at = None
        if options["at"]:
            try:
                at = datetime.fromisoformat(options["at"])
            except ValueError as exc:
                raise CommandError(f"{options['at']!r} is not an ISO time.") from exc
            if at.tzinfo is None:
                raise CommandError("--at needs a time zone, e.g. 2026-11-23T10:00+00:00.")
        result = services.sweep(at=at)
        if self._out(options, result.as_dict()):
            return
        self.stdout.write(
            f"checked {result.checked}, warnings {result.warnings}, breaches {result.breaches}"
        )
        for line in result.actions:
            self.stdout.write(f"  {line}")

    def _replay(self, options: dict[str, Any]) -> None:
        ticket = _ticket(options["number"])
        replayed = services.replay(actor=None, ticket=ticket)
        rows = [
            {"target": r.target, "agrees": r.agrees, "differences": r.differences} for r in replayed
        ]
        if not self._out(options, rows):
            if not rows:
                self.stdout.write(f"{ticket.number} has no clocks.")
            for row in rows:
                verdict = "agrees" if row["agrees"] else f"DIFFERS {row['differences']}"
                self.stdout.write(f"{row['target']}: {verdict}")
        if not all(r.agrees for r in replayed):
            raise SystemExit(1)

    def _explain(self, options: dict[str, Any]) -> None:
        ticket = _ticket(options["number"])
        clocks = SlaClock.objects.filter(ticket=ticket).select_related(
            "target", "agreement__calendar"
        )
        explained = [services.explain(clock) for clock in clocks]
        if self._out(options, explained):
            return
        if not explained:
            self.stdout.write(f"{ticket.number} has no clocks.")
        for item in explained:
            self.stdout.write(f"{item['target']} ({item['agreement']}): {item['state']}")
            for line in item["lines"]:
                self.stdout.write(f"  {line}")
