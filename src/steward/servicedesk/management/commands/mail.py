"""The e-mail gateway for operators.

``steward mail fetch [--mailbox NAME]``: poll IMAP now; ``steward mail ingest FILE --mailbox
NAME``: read one .eml (``-`` for standard input) as if it had arrived in that mailbox;
``steward mail lmtp [--host H] [--port P]``: take deliveries over LMTP until stopped;
``steward mail send-pending [--limit N]``: send the notifications due now and print counts
(workers do this every minute; rows stuck in ``sending`` are counted, never sent: an
administrator decides on the "Outbound mail" page).
"""

from __future__ import annotations

import signal
import sys
import threading
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from steward.core import context
from steward.servicedesk import imap, inbound
from steward.servicedesk.models.inbound import Mailbox


class Command(BaseCommand):
    help = (
        "E-mail: `mail fetch` polls the mailboxes, `mail ingest FILE` reads one message, "
        "`mail lmtp` listens for deliveries, `mail send-pending` sends due notifications."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        sub = parser.add_subparsers(dest="verb", required=True)
        fetch = sub.add_parser("fetch", help="Fetch unseen mail from enabled mailboxes now.")
        fetch.add_argument("--mailbox", help="Only this mailbox (by name), even if disabled.")
        ingest = sub.add_parser("ingest", help="Process one raw message (.eml file or -).")
        ingest.add_argument("file")
        ingest.add_argument("--mailbox", required=True, help="The mailbox it arrived in.")
        lmtp = sub.add_parser("lmtp", help="Listen for LMTP deliveries (runs until stopped).")
        lmtp.add_argument("--host", default="127.0.0.1", help="default: 127.0.0.1")
        lmtp.add_argument("--port", type=int, default=8024, help="default: 8024")
        send = sub.add_parser("send-pending", help="Send the notifications that are due now.")
        send.add_argument("--limit", type=int, default=None, help="Try at most this many.")

    def handle(self, *args: Any, **options: Any) -> None:
        with context.acting("cli"):
            if options["verb"] == "fetch":
                self._fetch(options.get("mailbox"))
            elif options["verb"] == "send-pending":
                self._send_pending(options["limit"])
            elif options["verb"] == "lmtp":
                self._lmtp(options["host"], options["port"])
            else:
                self._ingest(options["file"], options["mailbox"])

    def _send_pending(self, limit: int | None) -> None:
        from steward.servicedesk.models.outbound import OutboundEmail
        from steward.servicedesk.notify import sending

        result = sending.send_due(limit=limit)
        waiting = OutboundEmail.objects.filter(status="queued").count()
        stuck = OutboundEmail.objects.stuck().count()
        self.stdout.write(
            f"sent {result.sent}, to retry {result.retrying}, failed {result.failed}; "
            f"{waiting} waiting for a later attempt, {stuck} stuck in sending"
        )

    def _lmtp(self, host: str, port: int) -> None:
        from steward.servicedesk import lmtp

        server = lmtp.controller(host=host, port=port)
        server.start()
        self.stdout.write(f"listening for LMTP on {host}:{port}")
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        try:
            stop.wait()
        finally:
            server.stop()

    def _mailbox(self, name: str) -> Mailbox:
        mailbox = Mailbox.objects.filter(name=name).first()
        if mailbox is None:
            raise CommandError(f"no mailbox named {name!r}")
        return mailbox

    def _fetch(self, name: str | None) -> None:
        mailboxes = [self._mailbox(name)] if name else Mailbox.objects.filter(is_enabled=True)
        failed = False
        for mailbox in mailboxes:
            result = imap.fetch_mailbox(mailbox)
            self.stdout.write(
                f"{result.mailbox}: {result.fetched} fetched, {result.processed} processed, "
                f"{result.quarantined} quarantined, {result.duplicates} already seen"
                + (f", error: {result.error}" if result.error else "")
            )
            failed = failed or bool(result.error)
        if failed:
            sys.exit(1)

    def _ingest(self, file: str, name: str) -> None:
        mailbox = self._mailbox(name)
        try:
            raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
        except OSError as error:
            raise CommandError(f"cannot read {file}: {error}") from error
        message, created = inbound.receive(mailbox=mailbox, raw=raw)
        ticket = message.ticket.number if message.ticket else "-"
        seen = "" if created else " (already received)"
        reason = f" reason={message.reason}: {message.detail}" if message.reason else ""
        self.stdout.write(
            f"message {message.pk} {message.status}{seen} ticket={ticket}"
            f"{' comment=' + str(message.comment_id) if message.comment_id else ''}{reason}"
        )
