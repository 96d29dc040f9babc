"""An LMTP listener, the alternative to polling IMAP: the mail server delivers to Steward.

``steward mail lmtp --port 8024`` runs it (aiosmtpd's LMTP server). Each delivery names one
recipient (a second ``RCPT`` in the same transaction is answered ``452`` so the mail server
sends it again separately, which keeps LMTP's one reply per recipient exact); the recipient
must be a mailbox's address. The message goes through ``inbound.ingest`` like fetched mail,
in a worker thread. The reply is ``250`` once the message is stored (processed or quarantined:
either way it is kept); a database failure answers ``451`` so the mail server retries, and
nothing is lost. Listen on localhost or a private network only: LMTP has no authentication.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from django.db import DatabaseError, close_old_connections

from steward.core import conf, context
from steward.servicedesk import inbound
from steward.servicedesk.mail.headers import valid_address
from steward.servicedesk.models.inbound import Mailbox

logger = logging.getLogger("steward.mail")


def _mailbox_for(address: str) -> Mailbox | None:
    close_old_connections()
    try:
        return Mailbox.objects.filter(address__iexact=address).first()
    finally:
        close_old_connections()


def _deliver(mailbox_id: int, raw: bytes) -> str:
    close_old_connections()
    try:
        with context.acting("email"):
            mailbox = Mailbox.objects.get(pk=mailbox_id)
            message = inbound.ingest(mailbox=mailbox, raw=raw)
        return f"250 2.0.0 Stored as message {message.pk} ({message.status})"
    finally:
        close_old_connections()


class DeliveryHandler:
    """aiosmtpd handler: one recipient per transaction, which must be a mailbox's address."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if envelope.rcpt_tos:
            return "452 4.5.3 One recipient per transaction, please"
        clean = valid_address(address)
        mailbox = await asyncio.to_thread(_mailbox_for, clean) if clean else None
        if mailbox is None:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        envelope.mailbox_id = mailbox.pk
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content or b""
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        try:
            return await asyncio.to_thread(_deliver, envelope.mailbox_id, bytes(raw))
        except DatabaseError:
            logger.exception("LMTP delivery could not be stored")
            return "451 4.3.0 Cannot store the message now; try again later"


class LmtpController(Controller):
    """aiosmtpd's threaded controller, serving LMTP instead of SMTP."""

    def factory(self) -> LMTP:
        return LMTP(self.handler, **self.SMTP_kwargs)


def controller(*, host: str, port: int) -> LmtpController:
    limit = int(conf.get("MAIL_IN_MAX_MESSAGE_BYTES"))
    return LmtpController(
        DeliveryHandler(), hostname=host, port=port, data_size_limit=limit, decode_data=False
    )
