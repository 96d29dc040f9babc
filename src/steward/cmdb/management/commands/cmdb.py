"""``steward cmdb``: the CMDB for operators.

steward cmdb library                                   install the default class library
steward cmdb impact CI [--upstream] [--depth N] [--json]
    what CI's failure affects (or, --upstream, what it relies on): CI is an id or exact name
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.cmdb import impact, library
from steward.cmdb.choices import MAX_IMPACT_DEPTH, ImpactWay
from steward.cmdb.models import ConfigurationItem
from steward.core.errors import RuleViolation


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

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "library":
            self.stdout.write(library.install())
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
