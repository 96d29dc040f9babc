"""``steward mail send-pending``: send the notifications that are due now and print counts.

Workers do this every minute by themselves; the command is for operators (after fixing the
mail server, or on an installation without a worker). Rows stuck in ``sending`` are counted,
never sent: an administrator decides on the "Outbound mail" page.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from steward.core import context
from steward.servicedesk.models.outbound import OutboundEmail
from steward.servicedesk.notify import sending


class Command(BaseCommand):
    help = "Outgoing e-mail: `mail send-pending` sends the notifications due now."

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        send = sub.add_parser("send-pending", help="Send the notifications that are due now.")
        send.add_argument("--limit", type=int, default=None, help="Try at most this many.")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting("cli"):
            result = sending.send_due(limit=options["limit"])
        waiting = OutboundEmail.objects.filter(status="queued").count()
        stuck = OutboundEmail.objects.stuck().count()
        self.stdout.write(
            f"sent {result.sent}, to retry {result.retrying}, failed {result.failed}; "
            f"{waiting} waiting for a later attempt, {stuck} stuck in sending"
        )
