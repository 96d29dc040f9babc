"""Building blocks of the corpus: the ``Case`` type, limits, and raw-message builders."""

from __future__ import annotations

import base64
import quopri
from dataclasses import dataclass

MAX_ATTACHMENT = 200_000
MAX_TOTAL = 1_000_000
INTERNAL = frozenset({"steward.example"})
SCRIPT_MARKER = "EVILSCRIPT"


@dataclass(frozen=True)
class Case:
    name: str
    raw: bytes
    outcome: str | None = None  # "parsed" or "quarantine"
    reason: str | None = None
    kind: str | None = None
    ticket: str | None = None
    reply: str | None = None  # exact reply_text
    body_contains: tuple[str, ...] = ()
    body_excludes: tuple[str, ...] = ()
    attachments: int | None = None
    suspicious: tuple[str, ...] = ()
    message_id: str | None = None


def message(headers: list[tuple[str, str]], body: bytes | str, *, eol: bytes = b"\r\n") -> bytes:
    lines = [f"{name}: {value}".encode("utf-8", "surrogateescape") for name, value in headers]
    if isinstance(body, str):
        body = body.encode()
    return eol.join(lines) + eol + eol + body.replace(b"\r\n", b"\n").replace(b"\n", eol)


def base_headers(
    subject: str = "Printer on floor 3 is broken",
    *,
    sender: str = "Alice Example <alice@customer.example>",
    msgid: str = "<m1@customer.example>",
    content_type: str = "text/plain; charset=utf-8",
    extra: tuple[tuple[str, str], ...] = (),
) -> list[tuple[str, str]]:
    headers = [
        ("From", sender),
        ("To", "Service Desk <desk@steward.example>"),
        ("Subject", subject),
        ("Date", "Tue, 02 Jan 2024 09:15:00 +0100"),
        ("Message-ID", msgid),
        ("MIME-Version", "1.0"),
    ]
    if content_type:
        headers.append(("Content-Type", content_type))
    return headers + list(extra)


def encode_body(data: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(data)
    if cte == "quoted-printable":
        return quopri.encodestring(data)
    return data


def part(content_type: str, data: bytes, *, cte: str = "8bit", extra: str = "") -> bytes:
    head = f"Content-Type: {content_type}\r\nContent-Transfer-Encoding: {cte}\r\n{extra}"
    return head.encode() + b"\r\n" + encode_body(data, cte)


def multipart(subtype: str, parts: list[bytes], boundary: str) -> tuple[str, bytes]:
    b = boundary.encode()
    body = b"This is a multi-part message in MIME format.\r\n"
    for item in parts:
        body += b"--" + b + b"\r\n" + item + b"\r\n"
    body += b"--" + b + b"--\r\n"
    return f'multipart/{subtype}; boundary="{boundary}"', body


def nested_part(subtype: str, parts: list[bytes], boundary: str) -> bytes:
    content_type, body = multipart(subtype, parts, boundary)
    return f"Content-Type: {content_type}\r\n\r\n".encode() + body
