"""``steward createadmin --email E --password P``: create or re-key an administrator."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from steward.accounts import services
from steward.core import context


class Command(BaseCommand):
    help = "Create an administrator (or make an existing person one, with a new password)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--name", default="Administrator")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting("cli"):
            try:
                person = services.bootstrap_administrator(
                    email=options["email"], password=options["password"], full_name=options["name"]
                )
            except ValidationError as exc:  # RuleViolation, or a field the model refuses
                raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"Administrator {person.email} is ready.")
