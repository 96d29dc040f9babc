"""``steward audit verify``: check the audit log's hash chain; ``steward audit seal``: seal now.

``verify`` exits 1 when sealed history was altered, naming the first entry or seal that was.
"""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand

from steward.core import auditchain


class Command(BaseCommand):
    help = "The audit log's hash chain: `audit verify` checks it, `audit seal` seals pending."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        verify = sub.add_parser("verify", help="Recompute the chain; exit 1 if it was altered.")
        verify.add_argument(
            "--stale-minutes",
            type=int,
            default=int(auditchain.STALE_AFTER.total_seconds() // 60),
            help="Warn about entries left unsealed for longer than this.",
        )
        seal = sub.add_parser("seal", help="Seal every entry not sealed yet, now.")
        seal.add_argument("--limit", type=int, default=None, help="Seal at most this many.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verb"] == "seal":
            sealed = auditchain.seal_pending(limit=options["limit"], lookback=None)
            self.stdout.write(f"sealed {sealed} audit entries")
            return
        self._verify(stale_minutes=options["stale_minutes"])

    def _verify(self, *, stale_minutes: int) -> None:
        result = auditchain.verify(stale_after=timedelta(minutes=stale_minutes))
        if result.ok:
            self.stdout.write(
                f"audit log intact: {result.checked} entries sealed, {result.pending} pending"
            )
        else:
            self.stdout.write(f"audit log ALTERED at {result.first}")
            for finding in result.findings[1:]:
                self.stdout.write(f"  also {finding.kind} at {finding}")
            self.stdout.write(
                f"{result.problems} problem(s) in {result.checked} sealed entries, "
                f"{result.pending} pending"
            )
        if result.head_seq:
            self.stdout.write(f"chain head: seal {result.head_seq} {result.head_hash}")
        if result.stale:
            self.stderr.write(
                f"warning: {result.stale} entries unsealed for over {stale_minutes} minutes; is a "
                "worker running? `steward audit seal` seals them now."
            )
        if not result.ok:
            raise SystemExit(1)
