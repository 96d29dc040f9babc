"""``steward export xes|ocel --from D --to D [--kind incident] -o FILE``: ticket lifecycles
as a process-mining event log, written to FILE as it is read (``-o -``: standard output)."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.core.errors import RuleViolation
from steward.governance.services.kpis import day_range
from steward.interop import exporters


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from exc


class Command(BaseCommand):
    help = "Export ticket lifecycles as XES or OCEL 2.0 JSON (one case per ticket opened)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("format", choices=sorted(exporters.FORMATS))
        parser.add_argument("--from", dest="since", required=True, help="First day, YYYY-MM-DD.")
        parser.add_argument("--to", dest="until", required=True, help="Last day (inclusive).")
        parser.add_argument("--kind", default="incident", help="Ticket kind (incident, problem).")
        parser.add_argument("-o", "--output", required=True, help="File to write; - for stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        since, until = _day(options["since"]), _day(options["until"])
        if until < since:
            raise CommandError("--to is before --from.")
        start, end = day_range(since, until)
        try:
            pieces = exporters.export(
                actor=None, format=options["format"], since=start, until=end, kind=options["kind"]
            )
        except RuleViolation as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if options["output"] == "-":
            for piece in pieces:
                self.stdout.write(piece, ending="")
            return
        written = 0
        with open(options["output"], "w", encoding="utf-8") as out:
            for piece in pieces:
                out.write(piece)
                written += len(piece)
        self.stderr.write(f"{options['output']}: {written} characters written.")
