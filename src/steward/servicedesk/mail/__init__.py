"""Incoming service-desk mail: parsing raw messages, and safe headers for outgoing replies."""

from steward.servicedesk.mail.classify import rate_limit_key
from steward.servicedesk.mail.message import (
    Attachment,
    MessageKind,
    ParsedMessage,
    Quarantine,
    QuarantineReason,
)
from steward.servicedesk.mail.outgoing import (
    AUTOMATED_HEADERS,
    make_message_id,
    reply_headers,
    safe_header,
)
from steward.servicedesk.mail.parse import parse

__all__ = [
    "AUTOMATED_HEADERS",
    "Attachment",
    "MessageKind",
    "ParsedMessage",
    "Quarantine",
    "QuarantineReason",
    "make_message_id",
    "parse",
    "rate_limit_key",
    "reply_headers",
    "safe_header",
]
