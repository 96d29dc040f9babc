"""``steward profile [set PROFILE]``: show or switch the process profile."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.core import context, profiles, workflow
from steward.core.errors import RuleViolation


class Command(BaseCommand):
    help = "Show the active process profile, or switch it (records move as the profile says)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action")
        switch = sub.add_parser("set", help="switch to another profile")
        switch.add_argument("profile", choices=workflow.PROFILES)

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("action") != "set":
            active = workflow.active_profile()
            self.stdout.write(f"{active}\t{workflow.PROFILE_LABELS[active]}")
            return
        with context.acting("cli"):
            try:
                switch = profiles.set_profile(actor=None, profile=options["profile"])
            except RuleViolation as exc:
                raise CommandError(" ".join(exc.messages)) from exc
        moved = sum(n for moves in switch.moved.values() for n in moves.values())
        self.stdout.write(f"{switch.previous} -> {switch.profile}: {moved} records moved")
