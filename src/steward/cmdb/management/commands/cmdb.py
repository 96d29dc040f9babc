"""``steward cmdb``: the CMDB for operators.

steward cmdb library                                   install the default class library
steward cmdb impact CI [--upstream] [--depth N] [--json]
    what CI's failure affects (or, --upstream, what it relies on): CI is an id or exact name
steward cmdb import FILE [--format csv|json] [--source S] [--dry-run] [--apply-valid]
                    [--as EMAIL] [--json]
    reconcile CIs and relationships from a file (see ``cmdb.imports``); exit 1 on refused rows
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.accounts.models import Person
from steward.cmdb import impact, imports, library
from steward.cmdb.choices import MAX_IMPACT_DEPTH, ImpactWay
from steward.cmdb.models import ConfigurationItem
from steward.core.errors import Forbidden, NotFound, RuleViolation


def find_ci(name: str) -> ConfigurationItem:
    """A CI by id or exact name (a name shared by several CIs must be given as an id)."""
    if name.isdigit():
        found = ConfigurationItem.objects.filter(pk=int(name)).first()
        if found is not None:
            return found
    matches = list(ConfigurationItem.objects.filter(name=name)[:2])
    if not matches:
        raise CommandError(f"No CI {name!r}.")
    if len(matches) > 1:
        raise CommandError(f"Several CIs are called {name!r}; give the id.")
    return matches[0]


class Command(BaseCommand):
    help = "The CMDB: `cmdb library`, `cmdb impact CI [--upstream] [--depth N] [--json]`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("library", help="Install the default classes and relationship types.")
        analyse = sub.add_parser("impact", help="Impact analysis from one CI.")
        analyse.add_argument("ci", help="The CI's id or exact name.")
        analyse.add_argument("--upstream", action="store_true", help="What the CI relies on.")
        analyse.add_argument(
            "--depth", type=int, default=3, help=f"Steps to follow, 1 to {MAX_IMPACT_DEPTH}."
        )
        analyse.add_argument("--json", action="store_true", help="Print JSON.")
        load = sub.add_parser("import", help="Import and reconcile CIs from CSV or JSON.")
        load.add_argument("file", help="The file to read.")
        load.add_argument("--format", choices=["csv", "json"], help="Default: by extension.")
        load.add_argument("--dry-run", action="store_true", help="Report; write nothing.")
        load.add_argument(
            "--apply-valid", action="store_true", help="Apply the valid rows despite errors."
        )
        load.add_argument("--as", dest="actor", help="Import as this person (e-mail).")
        load.add_argument(
            "--source",
            default="import",
            help="Where the data comes from (import, discovery, ...): a value a more trusted "
            "source set is kept.",
        )
        load.add_argument("--json", action="store_true", help="Print the report as JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "library":
            self.stdout.write(library.install())
            return
        if options["action"] == "import":
            self.load(options)
            return
        item = find_ci(options["ci"])
        way = ImpactWay.UPSTREAM if options["upstream"] else ImpactWay.DOWNSTREAM
        try:
            result = impact.analyse(user=None, item=item, way=way, depth=options["depth"])
        except RuleViolation as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        customers = result.customers()
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "ci": {"id": item.pk, "name": item.name},
                        "direction": way.value,
                        "depth": result.depth,
                        "total": result.total,
                        "items": [
                            {"id": ci.pk, "name": ci.name, "depth": ci.depth}  # type: ignore[attr-defined]
                            for ci in result.items
                        ],
                        "services": [
                            {"id": s.pk, "name": s.name, "depth": s.depth}  # type: ignore[attr-defined]
                            for s in result.services
                        ],
                        "customers": [{"id": o.pk, "name": o.name} for o in customers],
                    },
                    indent=2,
                )
            )
            return
        self.stdout.write(
            f"{item.name}: {result.total} CI(s) {way.value} within {result.depth} step(s)"
        )
        for ci in result.items:
            self.stdout.write(f"  {ci.depth}  {ci.name} ({ci.ci_type.name}, {ci.status})")  # type: ignore[attr-defined]
        if result.truncated:
            self.stdout.write(f"  ... the nearest {len(result.items)} shown")
        self.stdout.write(f"Business services: {len(result.services)}")
        for service in result.services:
            self.stdout.write(f"  {service.name}")
        self.stdout.write("Customers: " + (", ".join(o.name for o in customers) or "-"))

    def load(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        fmt = options["format"] or ("json" if path.suffix.lower() == ".json" else "csv")
        actor = None
        if options["actor"]:
            actor = Person.objects.filter(email__iexact=options["actor"], is_active=True).first()
            if actor is None:
                raise CommandError(f"No active person {options['actor']!r}.")
        bar = ProgressBar(self.stderr)
        try:
            report = imports.import_file(
                actor=actor,
                data=data,
                fmt=fmt,
                source=options["source"],
                dry_run=options["dry_run"],
                apply_valid=options["apply_valid"],
                progress=bar.update,
            )
        except RuleViolation as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except (Forbidden, NotFound) as exc:
            raise CommandError(str(exc)) from exc
        bar.done()
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            verb = (
                "would be" if report.dry_run else ("were" if report.applied else "would have been")
            )
            self.stdout.write(
                f"{report.rows} rows: {report.created} created, {report.updated} updated, "
                f"{report.unchanged} unchanged; relationships: {report.relationships_created} "
                f"created, {report.relationships_unchanged} unchanged ({verb} applied)."
            )
            for kept in report.kept:
                self.stdout.write(
                    f"line {kept['line']} [{kept['field']}]: kept, set by {kept['source']}"
                )
            for error in report.errors:
                where = f" [{error['field']}]" if error["field"] else ""
                self.stdout.write(f"line {error['line']}{where}: {error['message']}")
            if report.errors and not report.applied and not report.dry_run:
                self.stdout.write("Nothing was written; fix the rows or use --apply-valid.")
        if report.errors:
            raise SystemExit(1)


class ProgressBar:
    """A one-line progress bar on stderr, redrawn at most once per percent."""

    WIDTH = 30

    def __init__(self, stream: Any) -> None:
        self.stream = stream
        self.shown = -1

    def update(self, done: int, total: int) -> None:
        percent = 100 * done // max(total, 1)
        if percent == self.shown:
            return
        self.shown = percent
        filled = self.WIDTH * done // max(total, 1)
        self.stream.write(
            f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {percent:3d}% {done}/{total}",
            ending="",
        )
        self.stream.flush()

    def done(self) -> None:
        if self.shown >= 0:
            self.stream.write("", ending="\n")
