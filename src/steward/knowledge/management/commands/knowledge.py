"""``steward knowledge reindex | search QUERY [--limit N] | due [--json]``: the knowledge
base for operators: rebuild the search index, search every article, list reviews due."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from steward.knowledge import search
from steward.knowledge.models import Article


class Command(BaseCommand):
    help = "Knowledge base: `reindex`, `search QUERY`, `due` (articles past their review date)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("reindex", help="Rebuild the full-text index of every article.")
        find = sub.add_parser("search", help="Search every article, best first.")
        find.add_argument("query")
        find.add_argument("--limit", type=int, default=20)
        due = sub.add_parser("due", help="Published articles whose review date has come.")
        due.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "reindex":
            self.stdout.write(f"indexed {search.reindex_all()} articles")
        elif action == "search":
            everything = search.Reach(states=None, audiences=None)
            found = search.ranked_ids(
                search.parse(options["query"]), everything, limit=max(1, options["limit"])
            )
            titles = dict(
                Article.objects.filter(pk__in=[pk for pk, _ in found]).values_list("pk", "title")
            )
            for pk, rank in found:
                self.stdout.write(f"KB{pk:05d}\t{rank:.3f}\t{titles.get(pk, '')}")
        else:
            rows = list(
                Article.objects.due_for_review(timezone.localdate())
                .order_by("review_by", "pk")
                .values("pk", "title", "review_by", "owner__email")
            )
            if options["json"]:
                self.stdout.write(json.dumps(rows, default=str, indent=2))
                return
            for row in rows:
                self.stdout.write(
                    f"KB{row['pk']:05d}\t{row['review_by']}\t{row['owner__email']}\t{row['title']}"
                )
