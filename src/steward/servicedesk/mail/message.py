"""What parsing an incoming e-mail produces: a ``ParsedMessage`` or a ``Quarantine``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum


class MessageKind(StrEnum):
    """Who wrote the message: a person, an auto-responder, or a mail server reporting failure."""

    NORMAL = "normal"
    AUTO_REPLY = "auto_reply"
    BOUNCE = "bounce"


class QuarantineReason(StrEnum):
    """Why a message could not become a ticket or comment. The raw message is kept either way."""

    EMPTY = "empty"
    TOO_LARGE = "too_large"
    ATTACHMENT_TOO_LARGE = "attachment_too_large"
    TOO_DEEP = "too_deep"
    TOO_MANY_PARTS = "too_many_parts"
    NO_SENDER = "no_sender"
    UNPARSEABLE = "unparseable"


@dataclass(frozen=True)
class Attachment:
    """One extracted file. ``filename`` is already sanitised; ``content_type`` is as declared
    (lowercased) and must not be trusted: ``steward.core.uploads.inspect`` decides later."""

    filename: str
    content_type: str
    data: bytes
    is_inline: bool
    content_id: str = ""

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ParsedMessage:
    """An incoming message reduced to plain, safe values.

    Every header-derived string is free of CR, LF and other control characters. ``body_text``
    is plain text (HTML is converted, never rendered or executed); ``reply_text`` is the same
    with quoted history and signatures trimmed (or the whole body if trimming left nothing).
    """

    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    sender: str
    sender_name: str
    reply_to: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    subject: str
    ticket_number: str
    date: dt.datetime | None
    body_text: str
    reply_text: str
    attachments: tuple[Attachment, ...]
    kind: MessageKind
    auto_signals: tuple[str, ...]
    suspicious_headers: tuple[str, ...]
    defects: tuple[str, ...]

    @property
    def thread_ids(self) -> tuple[str, ...]:
        """Message-IDs this message answers, nearest first: In-Reply-To, then References."""
        ids = [self.in_reply_to] if self.in_reply_to else []
        ids += [ref for ref in reversed(self.references) if ref not in ids]
        return tuple(ids)


@dataclass(frozen=True)
class Quarantine:
    """A message kept aside for a person to look at, with the reason and a short detail."""

    reason: QuarantineReason
    detail: str
    message_id: str
