"""``steward demo``: load the demo data set (idempotent)."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from steward.accounts.demo import load_demo
from steward.core import context
from steward.core import demo as demo_data


class Command(BaseCommand):
    help = "Load the demo organisations, people and teams (does nothing if already loaded)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--password", default=None, help="Password for every demo person (default: none)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting("cli"):
            result = load_demo(password=options["password"])
            extras = demo_data.load_all() if result.created else []
        if result.created:
            self.stdout.write(f"Demo data loaded: {len(result.people)} people.")
            for line in extras:
                self.stdout.write(line)
        else:
            self.stdout.write("Demo data already present; nothing changed.")
