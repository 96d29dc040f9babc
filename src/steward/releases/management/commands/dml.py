"""``steward dml``: the definitive media library for operators.

steward dml register PATH --name N --version V --location URI [--licence L]
                    [--description D] [--as EMAIL]
    register a build by its file (SHA-256 and size computed, streamed) as a draft
steward dml verify PATH [--artefact NAME@VERSION] [--as EMAIL]
    check a file against its recorded checksum (by NAME@VERSION, or looked up by checksum);
    the check is recorded; exit 0 on a match, 1 on a mismatch or an unknown file
steward dml list [--state draft|approved|retired] [--json]
"""

from __future__ import annotations

import json
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.accounts.models import Person
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.releases import checksums, services
from steward.releases.choices import ArtefactState, VerificationResult
from steward.releases.models import DmlArtefact


def _actor(email: str | None) -> Person | None:
    if not email:
        return None
    actor = Person.objects.filter(email__iexact=email, is_active=True).first()
    if actor is None:
        raise CommandError(f"No active person {email!r}.")
    return actor


def _readable(path: str) -> Path:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"No such file: {path}")
    return file


class Command(BaseCommand):
    help = "The definitive media library: `dml register`, `dml verify`, `dml list`."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        register = sub.add_parser("register", help="Register a build by its file, as a draft.")
        register.add_argument("path", help="The file (its SHA-256 and size are computed).")
        register.add_argument("--name", required=True)
        register.add_argument("--version", dest="artefact_version", required=True)
        register.add_argument("--location", required=True, help="Where it is kept (URI/path).")
        register.add_argument("--licence", default="")
        register.add_argument("--description", default="")
        register.add_argument("--as", dest="actor", help="Register as this person (e-mail).")
        verify = sub.add_parser("verify", help="Check a file against the library.")
        verify.add_argument("path", help="The file to check.")
        verify.add_argument("--artefact", help="NAME@VERSION; default: look up by checksum.")
        verify.add_argument("--as", dest="actor", help="Verify as this person (e-mail).")
        listing = sub.add_parser("list", help="List the artefacts.")
        listing.add_argument("--state", choices=ArtefactState.values)
        listing.add_argument("--json", action="store_true", help="Print JSON.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            getattr(self, options["action"])(options)
        except RuleViolation as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        except (Forbidden, NotFound) as exc:
            raise CommandError(str(exc) or "Not allowed.") from exc
        except OSError as exc:
            raise CommandError(f"Cannot read the file: {exc.strerror or exc}.") from exc

    def register(self, options: dict[str, Any]) -> None:
        file = _readable(options["path"])
        artefact = services.register_artefact_from_file(
            actor=_actor(options["actor"]),
            content=checksums.file_chunks(file),
            name=options["name"],
            artefact_version=options["artefact_version"],
            location=options["location"],
            licence=options["licence"],
            description=options["description"],
        )
        self.stdout.write(
            f"Registered {artefact} (draft): sha256 {artefact.checksum}, "
            f"{artefact.size_bytes} bytes, id {artefact.pk}."
        )

    def verify(self, options: dict[str, Any]) -> None:
        file = _readable(options["path"])
        artefact = services.find_artefact(options["artefact"]) if options["artefact"] else None
        check = services.verify_file(
            actor=_actor(options["actor"]),
            content=checksums.file_chunks(file),
            file_name=str(file),
            artefact=artefact,
        )
        if check.result == VerificationResult.MATCH:
            assert check.artefact is not None
            state = check.artefact.get_state_display().lower()
            self.stdout.write(f"OK: {file} matches {check.artefact} ({state}).")
            return
        if check.result == VerificationResult.MISMATCH:
            assert check.artefact is not None
            raise CommandError(
                f"MISMATCH: {file} is not {check.artefact}: sha256 {check.checksum} "
                f"({check.size_bytes} bytes), recorded {check.artefact.checksum} "
                f"({check.artefact.size_bytes} bytes)."
            )
        raise CommandError(
            f"UNKNOWN: no artefact in the library has the checksum of {file} "
            f"(sha256 {check.checksum})."
        )

    def list(self, options: dict[str, Any]) -> None:
        rows = DmlArtefact.objects.order_by("name", "artefact_version", "id")
        if options["state"]:
            rows = rows.filter(state=options["state"])
        if options["json"]:
            self.stdout.write(
                json.dumps(
                    [
                        {
                            "id": a.pk,
                            "name": a.name,
                            "version": a.artefact_version,
                            "state": a.state,
                            "checksum": a.checksum,
                            "size_bytes": a.size_bytes,
                            "location": a.location,
                            "licence": a.licence,
                        }
                        for a in rows.iterator()
                    ],
                    indent=2,
                )
            )
            return
        count = 0
        for a in rows.iterator():
            count += 1
            self.stdout.write(
                f"{a.name}@{a.artefact_version}  {a.state:<8}  {a.checksum}  "
                f"{a.size_bytes:>12}  {a.location}"
            )
        self.stdout.write(f"{count} artefact(s).")
