"""Reading header values safely: decoding, cleaning, addresses, Message-IDs, ticket numbers.

Every function here takes whatever the parser handed over (a ``str``, an ``email.header.Header``
for raw 8-bit values, or ``None``) and returns clean text. None of them raises on bad input.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from email.header import Header, decode_header
from email.utils import getaddresses, parsedate_to_datetime

MAX_SUBJECT_CHARS = 255
MAX_NAME_CHARS = 120
MAX_ADDRESS_CHARS = 254
MAX_MESSAGE_ID_CHARS = 250
MAX_REFERENCES = 50
MAX_HEADER_INPUT_CHARS = 20_000

TICKET_NUMBER = re.compile(r"(?<![A-Za-z0-9])([A-Z]{3}[0-9]{7})(?![0-9])")
_BRACKETED_TICKET = re.compile(r"\[\s*([A-Z]{3}[0-9]{7})\s*\]")
_ADDRESS = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}"
)
_MSG_ID_TOKEN = re.compile(r"<([^<>\s]{1,250}@[^<>\s]{1,250})>")
_MSG_ID_VALID = re.compile(r"[!-;=?-~]{1,200}@[!-;=?-Z^-~]{1,200}")  # printable ASCII, no <>[]
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
_SCRIPT_OPEN = re.compile(r"<(?=\s*/?\s*script)", re.IGNORECASE)
_UNSAFE_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def synthetic_message_id(raw: bytes) -> str:
    """A stable id for a message without a usable Message-ID: the hash of its bytes."""
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def clean_text(value: str, *, limit: int) -> str:
    """One line of visible text: control, format and line-separator characters become spaces,
    runs of whitespace collapse, and the result is cut to ``limit`` characters."""
    chars = (
        " " if unicodedata.category(ch) in _UNSAFE_CATEGORIES or ch.isspace() else ch
        for ch in value[: limit * 4]
    )
    return " ".join("".join(chars).split())[:limit].strip()


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text: the declared charset if it exists and fits, else UTF-8, else Windows-1252
    (which accepts almost any byte); undecodable bytes become U+FFFD. Never raises."""
    for candidate in (_codec(charset), "utf-8"):
        if candidate:
            try:
                return data.decode(candidate)
            except (UnicodeError, LookupError, ValueError):
                continue
    try:
        return data.decode("cp1252")
    except UnicodeError:
        return data.decode("utf-8", errors="replace")


def _codec(charset: str | None) -> str | None:
    if not charset or len(charset) > 40:
        return None
    name = charset.strip().strip("\"'").lower()
    if name in {"unknown-8bit", "x-unknown", "unknown", "8bit", "binary"}:
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # Only text encodings: no base64/zlib/rot13 codecs smuggled in through a charset name.
    return info.name if getattr(info, "_is_text_encoding", True) else None


def header_text(value: object) -> str:
    """A header value decoded from RFC 2047 encoded words and raw 8-bit bytes (not cleaned)."""
    if value is None:
        return ""
    if isinstance(value, Header):
        pieces: list[tuple[bytes | str, str | None]] = list(decode_header(value))
    else:
        text = str(value)[:MAX_HEADER_INPUT_CHARS]
        if "=?" not in text and not _has_surrogates(text):
            return text
        if _has_surrogates(text):
            raw = text.encode("ascii", "surrogateescape")
            text = decode_bytes(raw, "utf-8")
        try:
            pieces = list(decode_header(text))
        except Exception:  # malformed encoded words: keep them as written
            return text
    out = []
    for piece, charset in pieces:
        if isinstance(piece, bytes):
            out.append(decode_bytes(piece, charset))
        else:
            out.append(piece)
    return "".join(out)


def _has_surrogates(text: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in text)


def subject_text(value: object) -> str:
    return clean_text(without_markup(header_text(value)), limit=MAX_SUBJECT_CHARS)


def without_markup(text: str) -> str:
    """``text`` without HTML tags, so a subject or name shown raw somewhere cannot carry one."""
    text = _TAG.sub("", text[:MAX_HEADER_INPUT_CHARS])
    return _SCRIPT_OPEN.sub("", text)


def ticket_number_in(subject: str) -> str:
    """The ticket number a subject names: a bracketed one first, else the first bare one."""
    match = _BRACKETED_TICKET.search(subject) or TICKET_NUMBER.search(subject)
    return match.group(1) if match else ""


def valid_address(candidate: str) -> str:
    """``candidate`` lowercased if it is one plain ASCII address, else ``""``."""
    candidate = candidate.strip()
    if len(candidate) > MAX_ADDRESS_CHARS or not _ADDRESS.fullmatch(candidate):
        return ""
    return candidate.lower()


def addresses(values: Sequence[object]) -> list[tuple[str, str]]:
    """(display name, address) pairs from address headers; invalid addresses are left out."""
    texts = [_address_source(value) for value in values if value is not None]
    try:
        pairs = getaddresses(texts)
    except Exception:
        return []
    result = []
    for name, address in pairs:
        clean = valid_address(address)
        if clean:
            name = clean_text(without_markup(header_text(name)), limit=MAX_NAME_CHARS)
            result.append((name, clean))
    return result


def _address_source(value: object) -> str:
    if isinstance(value, Header):
        return header_text(value)
    return str(value)[:MAX_HEADER_INPUT_CHARS]


def message_ids(value: object, *, limit: int = MAX_REFERENCES) -> tuple[str, ...]:
    """The valid ``<id@domain>`` tokens in a header, in order, without repeats, the last
    ``limit`` of them (References grows at the front, so the nearest ones are kept)."""
    if value is None:
        return ()
    text = header_text(value)
    seen: dict[str, None] = {}
    for token in _MSG_ID_TOKEN.findall(text):
        normal = normalise_message_id(token)
        if normal:
            seen.setdefault(normal, None)
    return tuple(seen)[-limit:]


def normalise_message_id(token: str) -> str:
    """``<local@domain>`` with the domain lowercased, or ``""`` if the token is not one."""
    token = token.strip().removeprefix("<").removesuffix(">").strip()
    if len(token) > MAX_MESSAGE_ID_CHARS or not _MSG_ID_VALID.fullmatch(token):
        return ""
    local, _, domain = token.rpartition("@")
    return f"<{local}@{domain.lower()}>"


def parse_date(value: object) -> dt.datetime | None:
    """An aware datetime (UTC assumed when the zone is missing), or ``None``."""
    text = clean_text(header_text(value), limit=200)
    if not text:
        return None
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed
