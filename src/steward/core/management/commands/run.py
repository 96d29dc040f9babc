"""``steward run``: the embedded default in one command.

Migrates, loads demo data and creates an administrator on first start (printing the
generated password once), then runs the web server (gunicorn) and the worker together. One
Ctrl-C stops both; if either dies, the other is stopped too.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from steward.accounts.choices import RoleCode
from steward.accounts.demo import DEMO_DOMAIN, load_demo
from steward.accounts.models import Person
from steward.accounts.services import bootstrap_administrator
from steward.core import context
from steward.core import demo as demo_data

ADMIN_EMAIL = "admin@steward.test"


def generated_password() -> str:
    """A 16-character random password that never starts with ``-``.

    A leading dash would read as an option when someone pastes it after ``--password``.
    """
    while True:
        password = secrets.token_urlsafe(12)
        if not password.startswith("-"):
            return password


class Command(BaseCommand):
    help = "Set up (first start) and run Steward: web server and background worker."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--web-workers", type=int, default=2)
        parser.add_argument("--no-demo", action="store_true", help="Skip demo data.")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        if settings.PRODUCTION:
            call_command("collectstatic", interactive=False, verbosity=0)
        first_start = not Person.objects.with_role(RoleCode.ADMINISTRATOR).exists()
        if first_start:
            self._first_start(with_demo=not options["no_demo"])
        else:
            self.stdout.write("Existing data kept.")
        url = f"http://{options['host']}:{options['port']}"
        self.stdout.write(self.style.SUCCESS(f"\nSteward is running at {url}\n"))
        if not first_start:
            self.stdout.write("Sign in with your existing account (Ctrl-C stops Steward).")
        self._serve(options)

    def _first_start(self, *, with_demo: bool) -> None:
        admin_password = generated_password()
        demo_password = generated_password()
        with context.acting("cli"):
            bootstrap_administrator(
                email=ADMIN_EMAIL, password=admin_password, full_name="Administrator"
            )
            demo = load_demo(password=demo_password) if with_demo else None
            extras = demo_data.load_all() if demo is not None and demo.created else []
        lines = [
            "",
            "First start: an administrator was created. This password is shown only once:",
            f"  e-mail:   {ADMIN_EMAIL}",
            f"  password: {admin_password}",
        ]
        if demo is not None and demo.created:
            lines += [
                f"Demo people ({len(demo.people)}, e.g. sam.okafor@{DEMO_DOMAIN} as agent,",
                f"alice.johnson@{DEMO_DOMAIN} as requester) share the password: {demo_password}",
                *extras,
            ]
        self.stdout.write(self.style.WARNING("\n".join(lines)))

    def _serve(self, options: dict[str, Any]) -> None:
        env = dict(os.environ)
        metrics_dir = Path(settings.DATA_DIR) / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True, exist_ok=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        env.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
        web = [
            sys.executable,
            "-m",
            "gunicorn",
            "steward.config.wsgi:application",
            "--bind",
            f"{options['host']}:{options['port']}",
            "--workers",
            str(options["web_workers"]),
            "--access-logfile",
            "-" if os.environ.get("STEWARD_ACCESS_LOG") else "/dev/null",
            "--graceful-timeout",
            "5",
            # gunicorn's control socket defaults to one per user (~/.gunicorn); keep ours with
            # our data, so two Steward instances under one account do not take each other's.
            "--control-socket",
            str(Path(settings.DATA_DIR) / "gunicorn.ctl"),
        ]
        worker = [sys.executable, "-m", "steward.cli", "worker"]
        processes = [subprocess.Popen(web, env=env), subprocess.Popen(worker, env=env)]
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        exit_code = 0
        while not stopping:
            for proc in processes:
                code = proc.poll()
                if code is not None:
                    name = "web server" if proc is processes[0] else "worker"
                    self.stderr.write(f"The {name} exited with {code}; stopping Steward.")
                    stopping, exit_code = True, code or 1
            time.sleep(0.3)
        for proc in processes:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in processes:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
        self.stdout.write("Steward stopped.")
        if exit_code:
            sys.exit(exit_code)
