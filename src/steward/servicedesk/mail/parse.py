"""Turning the raw bytes of an incoming e-mail into a ``ParsedMessage`` or a ``Quarantine``.

``parse`` never raises: whatever arrives becomes either a message a ticket can be made from or
a quarantine entry with a reason, so nothing is lost. Limits are checked before any work that
grows with them: the total size first, then the MIME tree's depth and part count, then every
attachment's decoded size. The MIME tree is parsed with the standard library in its lenient
``compat32`` mode and walked without recursion.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32
from io import BytesIO

from steward.core.uploads import sanitise_filename
from steward.servicedesk.mail.classify import classify, suspicious_headers
from steward.servicedesk.mail.headers import (
    addresses,
    clean_text,
    decode_bytes,
    header_text,
    message_ids,
    parse_date,
    subject_text,
    synthetic_message_id,
    ticket_number_in,
)
from steward.servicedesk.mail.html_text import html_to_text
from steward.servicedesk.mail.message import (
    Attachment,
    MessageKind,
    ParsedMessage,
    Quarantine,
    QuarantineReason,
)
from steward.servicedesk.mail.trim import trim_reply

MAX_DEPTH = 10
MAX_PARTS = 100
MAX_BODY_CHARS = 1_000_000
MAX_DEFECTS = 20


@dataclass
class _Collected:
    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    total: int = 0


class _Refused(Exception):
    def __init__(self, reason: QuarantineReason, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


def parse(
    raw: bytes,
    *,
    max_attachment_bytes: int,
    max_total_bytes: int,
    internal_domains: frozenset[str] = frozenset(),
) -> ParsedMessage | Quarantine:
    """Parse ``raw``. Returns a ``Quarantine`` when the message cannot become a ticket; never
    raises."""
    fallback_id = synthetic_message_id(raw)
    try:
        return _parse(
            raw,
            max_attachment_bytes=max_attachment_bytes,
            max_total_bytes=max_total_bytes,
            internal_domains=internal_domains,
            fallback_id=fallback_id,
        )
    except _Refused as refused:
        return Quarantine(refused.reason, refused.detail, fallback_id)
    except RecursionError:
        return Quarantine(QuarantineReason.TOO_DEEP, "MIME structure too deep to read", fallback_id)
    except Exception as error:  # the promise is "never raises": record it instead
        detail = clean_text(f"{type(error).__name__}: {error}", limit=300)
        return Quarantine(QuarantineReason.UNPARSEABLE, detail, fallback_id)


def _parse(
    raw: bytes,
    *,
    max_attachment_bytes: int,
    max_total_bytes: int,
    internal_domains: frozenset[str],
    fallback_id: str,
) -> ParsedMessage | Quarantine:
    if not raw.strip():
        return Quarantine(QuarantineReason.EMPTY, "the message is empty", fallback_id)
    if len(raw) > max_total_bytes:
        detail = f"{len(raw)} bytes, more than the {max_total_bytes} allowed"
        return Quarantine(QuarantineReason.TOO_LARGE, detail, fallback_id)
    msg = message_from_bytes(raw, policy=compat32)
    ids = message_ids(msg.get("message-id"), limit=1)
    message_id = ids[0] if ids else fallback_id
    try:
        _check_structure(msg)
    except _Refused as refused:
        return Quarantine(refused.reason, refused.detail, message_id)

    senders = addresses(msg.get_all("from") or [])
    if not senders:
        shown = clean_text(header_text(msg.get("from")), limit=120)
        detail = f"no valid sender address in From: {shown!r}"
        return Quarantine(QuarantineReason.NO_SENDER, detail, message_id)
    sender_name, sender = senders[0]

    collected = _Collected()
    try:
        _collect(msg, collected, max_attachment_bytes=max_attachment_bytes)
    except _Refused as refused:
        return Quarantine(refused.reason, refused.detail, message_id)
    if collected.total > max_total_bytes:
        detail = f"{collected.total} bytes decoded, more than the {max_total_bytes} allowed"
        return Quarantine(QuarantineReason.TOO_LARGE, detail, message_id)

    subject = subject_text(msg.get("subject"))
    body = _best_body(collected)
    kind, signals = classify(msg, sender=sender, subject=subject)
    reply_to = addresses(msg.get_all("reply-to") or [])
    in_reply_to = message_ids(msg.get("in-reply-to"), limit=1)
    references = tuple(ref for ref in message_ids(msg.get("references")) if ref != message_id)
    return ParsedMessage(
        message_id=message_id,
        in_reply_to=in_reply_to[0] if in_reply_to else "",
        references=references,
        sender=sender,
        sender_name=sender_name,
        reply_to=reply_to[0][1] if reply_to else "",
        to=_unique(address for _, address in addresses(msg.get_all("to") or [])),
        cc=_unique(address for _, address in addresses(msg.get_all("cc") or [])),
        subject=subject,
        ticket_number=ticket_number_in(subject),
        date=parse_date(msg.get("date")),
        body_text=body,
        reply_text=trim_reply(body) if kind is MessageKind.NORMAL else body,
        attachments=tuple(collected.attachments),
        kind=kind,
        auto_signals=signals,
        suspicious_headers=suspicious_headers(
            msg, sender=sender, internal_domains=internal_domains
        ),
        defects=_defects(msg),
    )


def _check_structure(msg: Message) -> None:
    """Refuse trees deeper than ``MAX_DEPTH`` or with more than ``MAX_PARTS`` parts."""
    stack: list[tuple[Message, int]] = [(msg, 0)]
    count = 0
    while stack:
        part, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise _Refused(QuarantineReason.TOO_DEEP, f"MIME parts nested deeper than {MAX_DEPTH}")
        if count > MAX_PARTS:
            raise _Refused(QuarantineReason.TOO_MANY_PARTS, f"more than {MAX_PARTS} MIME parts")
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((child, depth + 1) for child in payload if isinstance(child, Message))


def _collect(msg: Message, collected: _Collected, *, max_attachment_bytes: int) -> None:
    """Body text candidates and attachments, in document order. Forwarded messages
    (``message/*``) are kept whole as attachments, not read for body text."""
    stack: list[Message] = [msg]
    while stack:
        part = stack.pop()
        content_type = _content_type(part)
        payload = part.get_payload()
        if content_type.startswith("message/") and part is not msg:
            _add_attachment(collected, part, _flatten_payload(part), max_attachment_bytes)
            continue
        if isinstance(payload, list):
            stack.extend(reversed([child for child in payload if isinstance(child, Message)]))
            continue
        data = _decoded(part)
        disposition = _disposition(part)
        filename = _filename(part)
        # A multipart part whose boundary never appears is a leaf: read it as text.
        is_text = content_type in ("text/plain", "text/html") or content_type.startswith(
            "multipart/"
        )
        if is_text and disposition != "attachment" and not filename:
            text = decode_bytes(data, part.get_content_charset())
            collected.total += len(data)
            (collected.html if content_type == "text/html" else collected.plain).append(text)
            continue
        _add_attachment(collected, part, data, max_attachment_bytes)


def _add_attachment(
    collected: _Collected, part: Message, data: bytes, max_attachment_bytes: int
) -> None:
    content_type = _content_type(part)
    name = _filename(part)
    if len(data) > max_attachment_bytes:
        shown = clean_text(name, limit=80) or content_type
        detail = f"attachment {shown!r} is {len(data)} bytes, more than {max_attachment_bytes}"
        raise _Refused(QuarantineReason.ATTACHMENT_TOO_LARGE, detail)
    collected.total += len(data)
    if not name and content_type.startswith("message/"):
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        subject = first.get("subject") if isinstance(first, Message) else None
        name = f"{clean_text(header_text(subject), limit=80) or 'message'}.eml"
    if not name:
        extension = mimetypes.guess_extension(content_type, strict=False) or ".bin"
        name = f"attachment{extension}"
    content_id = clean_text(header_text(part.get("content-id")), limit=200).strip("<>")
    collected.attachments.append(
        Attachment(
            filename=sanitise_filename(name),
            content_type=content_type,
            data=data,
            is_inline=_disposition(part) == "inline" or bool(content_id),
            content_id=content_id,
        )
    )


def _content_type(part: Message) -> str:
    content_type = clean_text(part.get_content_type(), limit=100).lower()
    return content_type if "/" in content_type else "application/octet-stream"


def _disposition(part: Message) -> str:
    value = clean_text(header_text(part.get("content-disposition")), limit=200)
    return value.split(";")[0].strip().lower()


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except Exception:
        name = ""
    if isinstance(name, tuple):  # an RFC 2231 value get_param did not collapse
        name = decode_bytes(str(name[2]).encode("latin-1", "replace"), name[0])
    return clean_text(header_text(str(name)), limit=400)


def _decoded(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    if isinstance(payload, str):
        return payload.encode("ascii", "surrogateescape")
    return b""


def _flatten_payload(part: Message) -> bytes:
    """The bytes of a ``message/*`` part's content (the forwarded message itself)."""
    payload = part.get_payload()
    if not isinstance(payload, list):
        return _decoded(part)
    chunks = []
    for inner in payload:
        if not isinstance(inner, Message):
            continue
        buffer = BytesIO()
        try:
            BytesGenerator(buffer, mangle_from_=False, policy=compat32).flatten(inner)
            chunks.append(buffer.getvalue())
        except Exception:
            chunks.append(inner.as_string().encode("utf-8", "surrogateescape"))
    return b"\n".join(chunks)


def _best_body(collected: _Collected) -> str:
    """The plain-text parts if there are any, else the HTML parts converted to text."""
    plain = [text for text in collected.plain if text.strip()]
    if plain:
        text = "\n\n".join(plain)
    else:
        text = "\n\n".join(html_to_text(markup) for markup in collected.html)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = "".join(ch for ch in text if ch in "\n\t" or ch >= " " and ch != "\x7f")
    return text[:MAX_BODY_CHARS].strip()


def _defects(msg: Message) -> tuple[str, ...]:
    names: list[str] = []
    for part in msg.walk():
        names.extend(type(defect).__name__ for defect in getattr(part, "defects", []))
        if len(names) >= MAX_DEFECTS:
            break
    return tuple(dict.fromkeys(names))


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
