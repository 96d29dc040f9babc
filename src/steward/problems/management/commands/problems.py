"""``steward problems detect [--window DAYS] [--threshold N] [--json]``: run trend detection
now (what the hourly schedule does) and print the proposals it made or updated."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.core import context
from steward.core.errors import RuleViolation
from steward.problems.models import ProblemProposal
from steward.problems.services import proposals


class Command(BaseCommand):
    help = "Problem management: `detect` proposes problems for recurring incidents."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        detect = sub.add_parser(
            "detect", help="Find clusters of recurring incidents and propose problems."
        )
        detect.add_argument("--window", type=int, default=None, help="Days back (default 30).")
        detect.add_argument(
            "--threshold", type=int, default=None, help="Fewest incidents (default 5)."
        )
        detect.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            with context.acting("cli"):
                outcome = proposals.detect_problems(
                    actor=None, window_days=options["window"], threshold=options["threshold"]
                )
        except RuleViolation as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        result = outcome.as_dict()
        touched = [*outcome.created, *outcome.updated, *outcome.reproposed, *outcome.unchanged]
        rows = ProblemProposal.objects.filter(pk__in=[p.pk for p in touched]).order_by(
            "-incident_count", "-score", "-id"
        )
        result["proposals"] = [
            {
                "id": p.pk,
                "title": p.title,
                "incidents": p.incident_count,
                "score": p.score,
                "terms": p.terms,
                "group": p.group_key,
            }
            for p in rows
        ]
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
            return
        self.stdout.write(
            f"{result['clusters']} clusters in {result['window_days']} days "
            f"(threshold {result['threshold']}, {result['groups']} groups, "
            f"{result['incidents_read']} incidents read): {len(outcome.created)} new, "
            f"{len(outcome.updated)} updated, {len(outcome.reproposed)} proposed again, "
            f"{len(outcome.still_dismissed)} still dismissed"
        )
        for row in result["proposals"]:
            self.stdout.write(
                f"{row['id']}\t{row['incidents']}\t{row['score']:.2f}\t{row['title']}"
            )
