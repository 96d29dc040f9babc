"""Factories for e-mail in: mailboxes and raw messages."""

from __future__ import annotations

import itertools
from email.message import EmailMessage
from typing import Any

from steward.servicedesk import inbound
from steward.servicedesk.models.inbound import Mailbox

_seq = itertools.count(1)


def make_mailbox(**overrides: Any) -> Mailbox:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Desk {n}",
        "address": f"desk{n}@steward.example",
        "host": "127.0.0.1",
        "port": 143,
        "tls": "none",
        "username": "desk",
        "password": "desk-secret-pass",
    }
    values.update(overrides)
    return inbound.create_mailbox(actor=None, **values)


def make_raw(
    *,
    sender: str = "alice@customer.example",
    subject: str = "Printer on floor 3 is broken",
    body: str = "It prints only blank pages.",
    message_id: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
    html: str | None = None,
) -> bytes:
    """A well-formed message; ``attachments`` as (filename, content type, data)."""
    n = next(_seq)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "desk@steward.example"
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or f"<m{n}.{id(msg)}@customer.example>"
    msg["Date"] = "Tue, 02 Jan 2024 09:15:00 +0100"
    for name, value in (headers or {}).items():
        msg[name] = value
    if html is not None:
        msg.set_content(html, subtype="html")
    else:
        msg.set_content(body)
    for filename, content_type, data in attachments:
        maintype, subtype = content_type.split("/")
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg)


def ticket_of(message: Any) -> int:
    """The id of the ticket an inbound message went to (it must have one)."""
    assert message.ticket_id is not None, (message.status, message.reason, message.detail)
    return int(message.ticket_id)


def comment_of(message: Any) -> int:
    assert message.comment_id is not None, (message.status, message.reason, message.detail)
    return int(message.comment_id)
