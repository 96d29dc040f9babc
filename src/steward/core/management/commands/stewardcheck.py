"""``steward check``: Django's system checks, then database, migrations and worker."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from steward.core import health


class Command(BaseCommand):
    help = "Check configuration (with --deploy checks in production) and readiness."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--no-worker", action="store_true", help="Do not require a live worker."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        deploy = bool(getattr(settings, "PRODUCTION", False))
        call_command("check", deploy=deploy, fail_level="WARNING", databases=["default"])
        failed = False
        for check in health.readiness():
            if check.name == "worker" and options["no_worker"]:
                continue
            mark = "ok  " if check.ok else "FAIL"
            self.stdout.write(f"{mark} {check.name}: {check.detail}")
            failed = failed or not check.ok
        if failed:
            raise CommandError("Steward is not ready.")
