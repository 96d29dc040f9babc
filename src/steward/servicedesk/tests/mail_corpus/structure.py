"""Malformed, truncated, deep, wide and huge messages."""

from __future__ import annotations

from steward.servicedesk.tests.mail_corpus.build import (
    MAX_ATTACHMENT,
    MAX_TOTAL,
    Case,
    base_headers,
    message,
    multipart,
    nested_part,
    part,
)


def _nested(depth: int) -> tuple[str, bytes]:
    inner = part("text/plain", b"deep hello")
    for level in range(depth):
        inner = nested_part("mixed", [inner], f"deep-{level}")
    content_type, body = multipart("mixed", [inner], "deep-top")
    return content_type, body


def structure_cases() -> list[Case]:
    plain = base_headers()
    no = [h for h in plain if h[0] not in ("From",)]
    cases = [
        Case("missing-from", message(no, "hi"), outcome="quarantine", reason="no_sender"),
        Case("empty-from", message(no + [("From", "")], "hi"), reason="no_sender"),
        Case("from-not-address", message(no + [("From", "Alice")], "hi"), reason="no_sender"),
        Case(
            "from-group",
            message(no + [("From", "undisclosed-recipients:;")], "hi"),
            reason="no_sender",
        ),
        Case("from-angle-junk", message(no + [("From", "<<<@>>>")], "hi"), reason="no_sender"),
        Case("empty", b"", outcome="quarantine", reason="empty"),
        Case("whitespace", b"\r\n\r\n  \r\n", outcome="quarantine", reason="empty"),
        Case("garbage", bytes(range(256)) * 4, outcome="quarantine"),
        Case("headers-only", message(plain, "").rstrip(b"\r\n"), outcome="parsed"),
        Case(
            "bare-lf",
            message(plain, "hello\nworld", eol=b"\n"),
            outcome="parsed",
            body_contains=("hello",),
        ),
        Case(
            "bare-cr",
            message(plain, "hello\rworld", eol=b"\r"),
        ),
        Case(
            "no-content-type",
            message(base_headers(content_type=""), "hello"),
            body_contains=("hello",),
        ),
        Case(
            "bad-content-type",
            message(base_headers(content_type="garbage"), "hello"),
            body_contains=("hello",),
        ),
    ]
    missing_id = [h for h in plain if h[0] != "Message-ID"]
    cases.append(Case("missing-message-id", message(missing_id, "hi"), outcome="parsed"))
    for index, bad in enumerate(("", "no-brackets@x", "<>", "<no-at>", "<a b@c>", "<" * 50)):
        headers = missing_id + [("Message-ID", bad)]
        cases.append(Case(f"bad-message-id-{index}", message(headers, "hi"), outcome="parsed"))
    for index, date in enumerate(("", "yesterday", "Mon, 99 Foo 99999 99:99:99", "0", "-" * 80)):
        headers = [h for h in plain if h[0] != "Date"] + [("Date", date)]
        cases.append(Case(f"bad-date-{index}", message(headers, "hi"), outcome="parsed"))
    text = part("text/plain", b"hello body")
    pdf = part(
        "application/pdf",
        b"%PDF",
        cte="base64",
        extra='Content-Disposition: attachment; filename="a.pdf"\r\n',
    )
    content_type, body = multipart("mixed", [text, pdf], "good-b")
    malformed = {
        "missing-boundary-param": ("multipart/mixed", body),
        "boundary-never-used": ('multipart/mixed; boundary="nothere"', body),
        "no-closing-boundary": (content_type, body.replace(b"--good-b--", b"")),
        "no-opening-boundary": (content_type, body.replace(b"--good-b\r\n", b"", 1)),
        "empty-boundary": ('multipart/mixed; boundary=""', body),
        "weird-boundary": ('multipart/mixed; boundary="a\\"b; c"', body),
        "truncated-mid-part": (content_type, body[: len(body) // 2]),
        "truncated-base64": (content_type, body.replace(b"--good-b--", b"")[:-6]),
        "invalid-base64": (content_type, body.replace(b"JVBERg==", b"!!@@##")),
        "invalid-qp": ("text/plain", b"=ZZ=\r\n=0 soft= line= =="),
        "binary-nul-body": ("text/plain", b"hello\x00\x01\x02\xff\xfe world"),
        "unknown-cte": (
            content_type,
            body.replace(b"Transfer-Encoding: base64", b"Transfer-Encoding: x-uuencode"),
        ),
        "multipart-no-parts": ('multipart/mixed; boundary="z"', b"--z--\r\n"),
        "multipart-preamble-only": ('multipart/alternative; boundary="z"', b"just text"),
    }
    for name, (ctype, data) in malformed.items():
        raw = message(base_headers(content_type=ctype), data)
        cases.append(Case(f"malformed-{name}", raw, outcome="parsed"))
    for cut in (40, 120, 200, 260):
        raw = message(base_headers(content_type=content_type), body)[:cut]
        cases.append(Case(f"truncated-at-{cut}", raw))
    for depth in (3, 8):
        ctype, data = _nested(depth)
        cases.append(
            Case(
                f"nested-{depth}",
                message(base_headers(content_type=ctype), data),
                outcome="parsed",
                body_contains=("deep hello",),
            )
        )
    for depth in (12, 60, 400):
        ctype, data = _nested(depth)
        cases.append(
            Case(
                f"nested-{depth}",
                message(base_headers(content_type=ctype), data),
                outcome="quarantine",
                reason="too_deep",
            )
        )
    many = [
        part("text/plain", b"x", extra=f'Content-Disposition: attachment; filename="{i}.txt"\r\n')
        for i in range(150)
    ]
    ctype, data = multipart("mixed", many, "many")
    cases.append(
        Case(
            "too-many-parts",
            message(base_headers(content_type=ctype), data),
            outcome="quarantine",
            reason="too_many_parts",
        )
    )
    fifty = many[:50]
    ctype, data = multipart("mixed", [text, *fifty], "fifty")
    cases.append(
        Case(
            "fifty-attachments",
            message(base_headers(content_type=ctype), data),
            outcome="parsed",
            attachments=50,
        )
    )
    huge = part(
        "application/zip",
        b"\0" * (MAX_ATTACHMENT + 1),
        cte="base64",
        extra='Content-Disposition: attachment; filename="big.zip"\r\n',
    )
    ctype, data = multipart("mixed", [text, huge], "huge")
    cases.append(
        Case(
            "huge-attachment",
            message(base_headers(content_type=ctype), data),
            outcome="quarantine",
            reason="attachment_too_large",
        )
    )
    cases.append(
        Case(
            "huge-total",
            message(plain, b"x" * (MAX_TOTAL + 10)),
            outcome="quarantine",
            reason="too_large",
        )
    )
    forwarded = message(base_headers("Forwarded original", msgid="<fw@x>"), "inner body")
    rfc822 = part("message/rfc822", forwarded)
    ctype, data = multipart("mixed", [text, rfc822], "fwd")
    cases.append(
        Case(
            "forwarded-rfc822",
            message(base_headers(content_type=ctype), data),
            outcome="parsed",
            attachments=1,
            body_excludes=("inner body",),
        )
    )
    inner_mp_type, inner_mp = multipart("mixed", [part("text/plain", b"x"), rfc822], "fwd-in")
    twice = message(base_headers("Twice", msgid="<fw2@x>", content_type=inner_mp_type), inner_mp)
    ctype, data = multipart("mixed", [text, part("message/rfc822", twice)], "fwd2")
    cases.append(
        Case(
            "forwarded-rfc822-nested",
            message(base_headers(content_type=ctype), data),
            outcome="parsed",
            attachments=1,
        )
    )
    ctype, data = multipart("mixed", [text, part("message/rfc822", b"garbage\x00\xff")], "fwd3")
    cases.append(
        Case("forwarded-garbage", message(base_headers(content_type=ctype), data), outcome="parsed")
    )
    calendar = part("text/calendar; method=REQUEST", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR")
    ctype, data = multipart("mixed", [text, calendar], "cal")
    cases.append(
        Case(
            "calendar-invite",
            message(base_headers(content_type=ctype), data),
            outcome="parsed",
            attachments=1,
        )
    )
    text_attachment = part(
        "text/plain", b"log line", extra='Content-Disposition: attachment; filename="log.txt"\r\n'
    )
    ctype, data = multipart("mixed", [text, text_attachment], "txt")
    cases.append(
        Case(
            "text-attachment",
            message(base_headers(content_type=ctype), data),
            outcome="parsed",
            attachments=1,
            body_excludes=("log line",),
        )
    )
    return cases
