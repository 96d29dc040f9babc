"""``steward changes``: the change schedule for operators.

steward changes conflicts NUMBER [--start T --end T] [--hops N] [--json]
    the schedule conflicts of a change: as planned, or for another period (ISO 8601 times
    with a zone); exit 1 when a conflict blocks
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.changes import conflicts
from steward.changes.models import Change
from steward.changes.models_schedule import MAX_HOPS
from steward.core.errors import RuleViolation


def _when(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(
            f"--{name}: give an ISO 8601 time, e.g. 2031-03-01T22:00+01:00."
        ) from exc
    if moment.tzinfo is None:
        raise CommandError(f"--{name}: give the time with its zone (Z or +01:00).")
    return moment


class Command(BaseCommand):
    help = "The change schedule: `changes conflicts NUMBER [--start T --end T] [--hops N]`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("conflicts", help="The schedule conflicts of one change.")
        check.add_argument("number", help="The change's number (CHG...).")
        check.add_argument("--start", help="Another planned start (ISO 8601 with zone).")
        check.add_argument("--end", help="Another planned end (ISO 8601 with zone).")
        check.add_argument(
            "--hops", type=int, help=f"CMDB hops, 1 to {MAX_HOPS} (default: policy)."
        )
        check.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        change = Change.objects.filter(number=options["number"]).first()
        if change is None:
            raise CommandError(f"No change {options['number']!r}.")
        start = _when(options["start"], "start") or change.planned_start
        end = _when(options["end"], "end") or change.planned_end
        if start is None or end is None:
            raise CommandError(f"{change.number} has no planned period: give --start and --end.")
        try:
            found = conflicts.evaluate(change, start, end, hops=options["hops"])
        except RuleViolation as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        blocking = [c for c in found if c.blocks]
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "change": change.number,
                        "planned_start": start.isoformat(),
                        "planned_end": end.isoformat(),
                        "blocking": len(blocking),
                        "conflicts": [c.as_dict() for c in found],
                    },
                    indent=2,
                    default=str,
                )
            )
        else:
            self.stdout.write(
                f"{change.number}: {len(found)} conflict(s), {len(blocking)} blocking, "
                f"for {start.isoformat()} - {end.isoformat()}"
            )
            for c in found:
                state = "overridden" if c.overridden else ("BLOCKS" if c.blocks else "warns")
                self.stdout.write(f"  [{state}] {c.kind_label}: {c.message}")
                if c.path:
                    self.stdout.write(f"      {c.path_text()}")
        if blocking:
            raise SystemExit(1)
