"""``steward import SOURCE PATH``: import a public ITSM event log with its whole history.

Sources: ``servicenow-incidents`` (the incident event log, ``.csv.xz``), ``bpic2013`` (Volvo
IT incidents ``.xes.gz``, open problems ``.xes.gz`` or problems ``.csv``), and
``bpic2014-changes`` (Rabobank change records ``.xes.gz``). A stopped run is continued by the
same command on the same file; a second run of a finished file adds nothing.

Exit status: 0 imported without errors, 1 imported with errors (or stopped; listed in the
summary), 2 usage (unknown source, missing file, bad option).
"""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError

from steward.interop.importers import importers
from steward.interop.importers.base import run_import
from steward.interop.importers.readers import ReadError


class Command(BaseCommand):
    help = "Import a public ITSM event log (its records and their full history)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("source", help=f"one of: {', '.join(sorted(importers()))}")
        parser.add_argument("path", help="the file as shipped (xz, gzip or plain)")
        parser.add_argument(
            "--tz", default=None, help="time zone of timestamps written without one"
        )
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")
        parser.add_argument("--batch-size", type=int, default=200, help="cases per commit")
        parser.add_argument(
            "--stop-after", type=int, default=None, help="stop after N cases (resume later)"
        )
        parser.add_argument(
            "--no-sla", action="store_true", help="do not compute SLA clocks of imported tickets"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        known = importers()
        source = options["source"]
        if source not in known:
            raise CommandError(
                f"unknown source {source!r}; one of: {', '.join(sorted(known))}", returncode=2
            )
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}", returncode=2)
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1", returncode=2)
        if options["tz"]:
            try:
                ZoneInfo(options["tz"])
            except (ZoneInfoNotFoundError, ValueError):
                raise CommandError(f"unknown time zone {options['tz']!r}", returncode=2) from None
        importer = known[source](tz=options["tz"])
        try:
            outcome = run_import(
                importer,
                path,
                batch_size=options["batch_size"],
                stop_after=options["stop_after"],
                quiet=options["quiet"],
                sync_sla=False if options["no_sla"] else None,
            )
        except ReadError as exc:
            where = f" (line {exc.line})" if exc.line else ""
            raise CommandError(f"{path}{where}: {exc.message}", returncode=1) from None
        run = outcome.run
        summary = {
            "run": run.pk,
            "source": run.source,
            "status": run.status,
            "cases": run.cases_committed,
            **run.summary,
        }
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2, default=str))
        else:
            self._print(summary)
        if not outcome.ok:
            sys.exit(1)

    def _print(self, summary: dict[str, Any]) -> None:
        out = self.stdout
        out.write(
            f"import run {summary['run']} ({summary['source']}): {summary['status']}, "
            f"{summary['cases']} cases read"
        )
        for name, value in summary.get("counts", {}).items():
            out.write(f"  {name}: {value}")
        unmapped = summary.get("unmapped", [])
        if unmapped:
            out.write("unmapped values (kept raw on the record):")
            for row in unmapped:
                out.write(
                    f"  {row['column']} = {row['value']!r}: {row['count']} times, "
                    f"first on line {row['first_line']}"
                )
        for title, rows in (
            ("errors", summary.get("errors", [])),
            ("warnings", summary.get("warnings", [])),
        ):
            if rows:
                out.write(f"{title}:")
                for row in rows:
                    out.write(f"  line {row['line']} ({row['case']}): {row['message']}")
