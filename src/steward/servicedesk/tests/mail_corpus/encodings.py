"""Charsets and transfer encodings, right and wrong."""

from __future__ import annotations

from steward.servicedesk.tests.mail_corpus.build import (
    Case,
    base_headers,
    encode_body,
    message,
    multipart,
    nested_part,
    part,
)

SAMPLES = {
    "utf-8": "Grüße, der Drucker druckt nicht — ☃ 日本語",
    "iso-8859-1": "Grüße aus Köln, der Drucker ist kaputt",
    "windows-1252": "Smart “quotes” and the € sign — broken printer",
    "shift_jis": "プリンターが壊れています",
    "koi8-r": "Принтер не работает",
}


def charset_cases() -> list[Case]:
    cases = []
    for charset, text in SAMPLES.items():
        data = text.encode(charset)
        for cte in ("8bit", "quoted-printable", "base64"):
            for shape in ("plain", "alternative", "mixed", "related"):
                name = f"charset-{charset}-{cte}-{shape}"
                msgid = f"<{name}@customer.example>"
                plain = part(f"text/plain; charset={charset}", data, cte=cte)
                html = part(
                    f"text/html; charset={charset}",
                    b"<html><body><p>" + data + b"</p></body></html>",
                    cte=cte,
                )
                attached = 0
                if shape == "plain":
                    content_type = f"text/plain; charset={charset}"
                    headers = base_headers(msgid=msgid, content_type=content_type)
                    headers.append(("Content-Transfer-Encoding", cte))
                    raw = message(headers, encode_body(data, cte))
                else:
                    if shape == "alternative":
                        content_type, body = multipart("alternative", [plain, html], "alt-1")
                    elif shape == "mixed":
                        pdf = part(
                            'application/pdf; name="report.pdf"',
                            b"%PDF-1.4 fake",
                            cte="base64",
                            extra='Content-Disposition: attachment; filename="report.pdf"\r\n',
                        )
                        alt = nested_part("alternative", [plain, html], "alt-2")
                        content_type, body = multipart("mixed", [alt, pdf], "mix-2")
                        attached = 1
                    else:
                        image = part(
                            "image/png",
                            b"\x89PNG\r\n\x1a\nfake",
                            cte="base64",
                            extra="Content-ID: <logo@x>\r\nContent-Disposition: inline\r\n",
                        )
                        rel = nested_part("related", [html, image], "rel-3")
                        content_type, body = multipart("alternative", [plain, rel], "alt-3")
                        attached = 1
                    raw = message(base_headers(msgid=msgid, content_type=content_type), body)
                cases.append(
                    Case(
                        name,
                        raw,
                        outcome="parsed",
                        kind="normal",
                        body_contains=(text,),
                        attachments=attached,
                        message_id=msgid,
                    )
                )
    return cases


def wrong_charset_cases() -> list[Case]:
    variants = [
        ("declared-utf8-is-latin1", "utf-8", "Grüße".encode("latin-1"), "Gr"),
        ("declared-ascii-is-utf8", "us-ascii", "Grüße".encode(), "Grüße"),
        ("unknown-charset", "x-no-such-charset", "Grüße".encode(), "Grüße"),
        ("empty-charset", '""', b"hello there", "hello there"),
        ("codec-not-text", "base64", b"aGVsbG8=", "aGVsbG8="),
        ("codec-zlib", "zlib_codec", b"plain words", "plain words"),
        ("declared-sjis-is-utf8", "shift_jis", "日本".encode(), ""),
        ("charset-with-crlf", '"utf-8\r\n X-Evil: 1"', b"body text", "body text"),
        ("charset-huge", "a" * 500, b"body text", "body text"),
        ("utf7", "utf-7", b"Hi +AOQ-", "Hi"),
        ("utf16-no-bom", "utf-16", "hello".encode("utf-16-le"), ""),
        ("unknown-8bit", "unknown-8bit", "naïve".encode(), "naïve"),
    ]
    cases = []
    for name, charset, data, expected in variants:
        headers = base_headers(content_type=f"text/plain; charset={charset}")
        raw = message(headers, data)
        contains = (expected,) if expected else ()
        cases.append(Case(f"wrong-charset-{name}", raw, outcome="parsed", body_contains=contains))
    raw_subject = base_headers("Grüße aus Köln [INC0000007]")
    cases.append(
        Case(
            "raw-8bit-subject",
            message(raw_subject, "hi"),
            outcome="parsed",
            ticket="INC0000007",
        )
    )
    latin_subject = message(base_headers(), "hi").replace(
        b"Subject: Printer", "Subject: Grüße Printer".encode("latin-1")
    )
    cases.append(Case("raw-latin1-subject", latin_subject, outcome="parsed"))
    return cases
