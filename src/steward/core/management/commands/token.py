"""``steward token create E``: create an API token for a person and print only the token."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.accounts import services
from steward.accounts.models import Person
from steward.core import context
from steward.core.errors import RuleViolation


class Command(BaseCommand):
    help = "Manage API tokens: `token create EMAIL` prints only the new token."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        create = sub.add_parser("create", help="Create a token and print it (shown only once).")
        create.add_argument("email")
        create.add_argument("--name", default="command line")
        create.add_argument("--days", type=int, default=None)
        revoke = sub.add_parser("revoke", help="Revoke a token by its prefix.")
        revoke.add_argument("prefix")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting("cli"):
            if options["verb"] == "create":
                self._create(options)
            else:
                self._revoke(options["prefix"])

    def _create(self, options: dict[str, Any]) -> None:
        person = Person.objects.filter(email__iexact=options["email"].strip()).first()
        if person is None:
            raise CommandError(f"Nobody signs in as {options['email']}.")
        try:
            _, secret = services.create_api_token(
                actor=None, person=person, name=options["name"], expires_in_days=options["days"]
            )
        except RuleViolation as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(secret)

    def _revoke(self, prefix: str) -> None:
        from steward.accounts.models import ApiToken

        token = ApiToken.objects.filter(prefix=prefix).first()
        if token is None:
            raise CommandError(f"No token with prefix {prefix}.")
        services.revoke_api_token(actor=None, token=token)
        self.stdout.write(f"Revoked {token.prefix}.")
