"""Header values for outgoing mail that cannot carry an injected header.

Every value passes through ``safe_header``: CR, LF and every other control or line-separator
character becomes a space, so a subject, name or id taken from an incoming message can never
start a new header line. Message-IDs are rebuilt from validated parts only.
"""

from __future__ import annotations

import re
import secrets
import time
from email.utils import formataddr

from steward.servicedesk.mail.headers import (
    MAX_NAME_CHARS,
    TICKET_NUMBER,
    clean_text,
    normalise_message_id,
)

MAX_HEADER_CHARS = 900
MAX_OUTGOING_REFERENCES = 20

# Headers that tell other systems not to answer our notifications automatically (RFC 3834).
AUTOMATED_HEADERS = {"Auto-Submitted": "auto-generated", "X-Auto-Response-Suppress": "All"}

_REPLY_PREFIXES = re.compile(
    r"^\s*(?:(?:re|aw|antw|fw|fwd|wg|tr|sv|vs|rif|r)\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE
)
_DOMAIN = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
)


def safe_header(value: object) -> str:
    """``value`` as one line of at most ``MAX_HEADER_CHARS`` characters, without CR, LF or any
    other control character."""
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    return clean_text(str(value), limit=MAX_HEADER_CHARS)


def make_message_id(ticket_number: str, domain: str) -> str:
    """A new, unique ``<INC0001042.<time>.<random>@domain>`` Message-ID."""
    domain = _safe_domain(domain)
    prefix = ticket_number if TICKET_NUMBER.fullmatch(ticket_number) else "steward"
    return f"<{prefix}.{int(time.time())}.{secrets.token_hex(8)}@{domain}>"


def notification_message_id(ticket_number: str, domain: str) -> str:
    """A new, unique ``<steward.INC0001042.<random hex>@domain>`` Message-ID for a notification
    about a ticket (the mail gateway reads the number back out of In-Reply-To/References)."""
    domain = _safe_domain(domain)
    token = secrets.token_hex(12)
    if TICKET_NUMBER.fullmatch(ticket_number):
        return f"<steward.{ticket_number}.{token}@{domain}>"
    return f"<steward.{token}@{domain}>"


def address_header(name: str, address: str) -> str:
    """``"Name" <address>`` with the name cleaned by ``safe_header`` (no CR/LF, no controls);
    the address must already be a valid one (``headers.valid_address``)."""
    return formataddr((safe_header(name)[:MAX_NAME_CHARS], address))


def reply_subject(ticket_number: str, subject: str) -> str:
    """``Re: [INC0001042] <subject>`` without stacked ``Re:``/``AW:`` prefixes or a second tag."""
    text = safe_header(subject)
    text = _REPLY_PREFIXES.sub("", text)
    text = re.sub(rf"\[\s*{re.escape(ticket_number)}\s*\]", "", text) if ticket_number else text
    text = _REPLY_PREFIXES.sub("", " ".join(text.split()))
    tag = f"[{ticket_number}] " if TICKET_NUMBER.fullmatch(ticket_number) else ""
    return safe_header(f"Re: {tag}{text}".rstrip())


def reply_headers(
    ticket_number: str, subject: str, message_id_of_original: str, references: tuple[str, ...]
) -> dict[str, str]:
    """Subject, In-Reply-To, References and X-Steward-Ticket for a reply on a ticket. Ids that
    are not valid ``<id@domain>`` tokens are left out; References keeps the last
    ``MAX_OUTGOING_REFERENCES`` ids, ending with the original."""
    headers = {"Subject": reply_subject(ticket_number, subject)}
    original = normalise_message_id(message_id_of_original)
    ids = [normalise_message_id(ref) for ref in references]
    chain = list(dict.fromkeys(ref for ref in [*ids, original] if ref))
    if original:
        chain.remove(original)
        chain.append(original)
        headers["In-Reply-To"] = original
    if chain:
        headers["References"] = safe_header(" ".join(chain[-MAX_OUTGOING_REFERENCES:]))
    if TICKET_NUMBER.fullmatch(ticket_number):
        headers["X-Steward-Ticket"] = ticket_number
    return headers


def _safe_domain(domain: str) -> str:
    domain = safe_header(domain).lower().strip(".")
    return domain if _DOMAIN.fullmatch(domain) else "steward.invalid"
