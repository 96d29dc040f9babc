"""A corpus of raw incoming messages with the outcome each must have, built from templates.

``build_corpus()`` returns several hundred ``Case`` values covering charsets and transfer
encodings, MIME structures, mail-client reply styles, auto-replies and bounces, header
injection, hostile HTML, forged internal headers and malformed or truncated messages. A field
left at ``None`` (or empty) is not checked for that case.
"""

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


REPLY = "Thanks, the printer works again.\nYou can close the ticket."
QUOTED = "The technician will come by at 10:00.\nRegards, Service Desk"

CLIENT_STYLES = {
    "gmail": (
        f"{REPLY}\n\nOn Tue, Jan 2, 2024 at 9:00 AM Service Desk <desk@steward.example>\n"
        f"wrote:\n\n" + "\n".join("> " + line for line in QUOTED.split("\n"))
    ),
    "gmail-oneline": (
        f"{REPLY}\n\nOn Tue, Jan 2, 2024 at 9:00 AM Service Desk <desk@steward.example> wrote:\n"
        + "\n".join("> " + line for line in QUOTED.split("\n"))
    ),
    "outlook": (
        f"{REPLY}\n\n________________________________\nFrom: Service Desk "
        f"<desk@steward.example>\nSent: Tuesday, January 2, 2024 9:00 AM\nTo: Alice\n"
        f"Subject: [INC0001042] Printer\n\n{QUOTED}"
    ),
    "outlook-original": f"{REPLY}\n\n-----Original Message-----\nFrom: Service Desk\n\n{QUOTED}",
    "outlook-german": (
        f"{REPLY}\n\nVon: Service Desk <desk@steward.example>\nGesendet: Dienstag, 2. Januar "
        f"2024 09:00\nAn: Alice\nBetreff: AW: [INC0001042] Drucker\n\n{QUOTED}"
    ),
    "german-original": f"{REPLY}\n\n-----Ursprüngliche Nachricht-----\nVon: Desk\n\n{QUOTED}",
    "thunderbird": (
        f"{REPLY}\n\n-- \nAlice Example\nCustomer Corp\n\nAm 02.01.2024 um 09:00 schrieb "
        f"Service Desk:\n" + "\n".join("> " + line for line in QUOTED.split("\n"))
    ),
    "thunderbird-en": (
        f"{REPLY}\n\nOn 02/01/2024 09:00, Service Desk wrote:\n"
        + "\n".join("> " + line for line in QUOTED.split("\n"))
    ),
    "apple-mail": (
        f"{REPLY}\n\nSent from my iPhone\n\n> On 2 Jan 2024, at 09:00, Service Desk "
        f"<desk@steward.example> wrote:\n>\n> {QUOTED}"
    ),
    "apple-de": (
        f"{REPLY}\n\nVon meinem iPhone gesendet\n\n> Am 02.01.2024 um 09:00 schrieb Desk:\n> x"
    ),
    "outlook-mobile": f"{REPLY}\n\nGet Outlook for iOS\n________________________________\n"
    f"From: Service Desk\nSent: Tuesday\n\n{QUOTED}",
    "french": f"{REPLY}\n\nLe mar. 2 janv. 2024 à 09:00, Desk <desk@steward.example> a écrit :\n"
    f"> {QUOTED}",
    "signature-only": f"{REPLY}\n-- \nAlice Example\nPhone +49 30 1234567",
    "inline-quotes": f"> Can you reprint?\n{REPLY}\n> anything else?",
}

SUBJECTS = {
    "bracketed": ("Re: [INC0001042] Printer broken", "INC0001042"),
    "bare": ("RE: RE: INC0001042 Printer broken", "INC0001042"),
    "german": ("AW: [TSK0000042] Drucker", "TSK0000042"),
    "none": ("Re: Printer broken", ""),
    "two-numbers": ("Re: INC0000001 and [REQ0000099]", "REQ0000099"),
}


def reply_cases() -> list[Case]:
    cases = []
    for style, body in CLIENT_STYLES.items():
        for key, (subject, ticket) in SUBJECTS.items():
            name = f"reply-{style}-{key}"
            headers = base_headers(subject, msgid=f"<{name}@customer.example>")
            headers.append(("In-Reply-To", "<INC0001042.1.abc@steward.example>"))
            cases.append(
                Case(
                    name,
                    message(headers, body),
                    outcome="parsed",
                    kind="normal",
                    ticket=ticket,
                    reply=REPLY,
                )
            )
        html_body = "<html><body><div>" + REPLY.replace("\n", "<br>") + "</div>"
        html_body += (
            '<div class="gmail_quote"><div>On Tue, Jan 2, 2024 at 9:00 AM Desk '
            "&lt;desk@steward.example&gt; wrote:</div><blockquote>"
            + QUOTED.replace("\n", "<br>")
            + "</blockquote></div></body></html>"
        )
        headers = base_headers(
            "Re: [INC0001042] Printer",
            msgid=f"<html-{style}@customer.example>",
            content_type="text/html; charset=utf-8",
        )
        cases.append(
            Case(
                f"reply-html-{style}",
                message(headers, html_body),
                outcome="parsed",
                ticket="INC0001042",
                reply=REPLY,
            )
        )
    return cases


AUTO_REPLIES = {
    "exchange-oof": [
        ("Auto-Submitted", "auto-replied"),
        ("X-Auto-Response-Suppress", "All"),
        ("Subject", "Automatic reply: [INC0001042] Printer"),
    ],
    "gmail-vacation": [("Auto-Submitted", "auto-replied"), ("Precedence", "bulk")],
    "zimbra": [("Auto-Submitted", "auto-replied (zimbra; vacation)")],
    "lotus-notes": [("Subject", "AutoReply: Out of Office")],
    "outlook-de": [("Subject", "Automatische Antwort: [INC0001042] Drucker")],
    "abwesenheit": [("Subject", "Abwesenheitsnotiz: Drucker")],
    "out-of-office": [("Subject", "Out of Office: Re: [INC0001042] Printer")],
    "x-autoreply": [("X-Autoreply", "yes")],
    "x-autorespond": [("X-Autorespond", "Vacation")],
    "precedence-junk": [("Precedence", "junk")],
    "precedence-auto": [("Precedence", "auto_reply")],
    "precedence-list": [("Precedence", "list")],
    "auto-generated": [("Auto-Submitted", "auto-generated")],
    "null-return-path": [("Return-Path", "<>")],
    "mdn": [],
    "french": [("Subject", "Réponse automatique : absent")],
}


def auto_reply_cases() -> list[Case]:
    cases = []
    for vendor, extra in AUTO_REPLIES.items():
        for variant in ("ticket", "plain"):
            subject = "Re: [INC0001042] Printer" if variant == "ticket" else "Printer"
            headers = [h for h in base_headers(subject) if h[0] != "Subject"]
            if not any(name == "Subject" for name, _ in extra):
                headers.append(("Subject", subject))
            headers += extra
            body: bytes = b"I am out of the office until Monday.\n"
            if vendor == "mdn":
                content_type, body = multipart(
                    "report",
                    [
                        part("text/plain", b"Your message was read."),
                        part(
                            "message/disposition-notification",
                            b"Final-Recipient: rfc822;alice@customer.example\r\n"
                            b"Disposition: automatic-action/MDN-sent-automatically; displayed\r\n",
                        ),
                    ],
                    "mdn-1",
                )
                headers = [h for h in headers if h[0] != "Content-Type"]
                headers.append(
                    ("Content-Type", content_type + "; report-type=disposition-notification")
                )
            cases.append(
                Case(
                    f"auto-{vendor}-{variant}",
                    message(headers, body),
                    outcome="parsed",
                    kind="auto_reply",
                )
            )
    cases.append(
        Case(
            "auto-submitted-no",
            message(base_headers(extra=(("Auto-Submitted", "no"),)), "hello"),
            kind="normal",
        )
    )
    cases.append(
        Case(
            "list-id-only",
            message(base_headers(extra=(("List-Id", "<it.lists.example>"),)), "hello"),
            kind="normal",
        )
    )
    return cases


def _dsn(boundary: str, sender: str, subject: str) -> bytes:
    human = part("text/plain; charset=us-ascii", b"Delivery to the following recipient failed.")
    status = part(
        "message/delivery-status",
        b"Reporting-MTA: dns; mx.customer.example\r\n\r\n"
        b"Final-Recipient: rfc822; nobody@customer.example\r\nAction: failed\r\n"
        b"Status: 5.1.1\r\n",
    )
    original = part(
        "message/rfc822",
        message(base_headers("[INC0001042] Printer", sender="desk@steward.example"), "Hello"),
    )
    content_type, body = multipart("report", [human, status, original], boundary)
    headers = [h for h in base_headers(subject, sender=sender) if h[0] != "Content-Type"]
    headers.append(("Content-Type", content_type + "; report-type=delivery-status"))
    return message(headers, body)


BOUNCE_SENDERS = {
    "postfix": ("MAILER-DAEMON@mx.customer.example", "Undelivered Mail Returned to Sender"),
    "gmail": (
        "Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
        "Delivery Status Notification (Failure)",
    ),
    "exchange": ("postmaster@customer.example", "Undeliverable: [INC0001042] Printer"),
    "exim": ("Mail Delivery System <Mailer-Daemon@mx.example>", "Mail delivery failed"),
    "qmail": ("MAILER-DAEMON@qmail.example", "failure notice"),
    "sendmail": (
        "Mail Delivery Subsystem <MAILER-DAEMON@sm.example>",
        "Returned mail: see transcript for details",
    ),
    "german": ("postmaster@firma.example", "Unzustellbar: Drucker"),
}


def bounce_cases() -> list[Case]:
    cases = []
    for vendor, (sender, subject) in BOUNCE_SENDERS.items():
        cases.append(
            Case(f"bounce-dsn-{vendor}", _dsn(f"dsn-{vendor}", sender, subject), kind="bounce")
        )
        plain = message(base_headers(subject, sender=sender), "The mail system could not deliver")
        cases.append(Case(f"bounce-plain-{vendor}", plain, kind="bounce"))
    failed = message(
        base_headers("Hi", extra=(("X-Failed-Recipients", "x@customer.example"),)), "x"
    )
    cases.append(Case("bounce-x-failed-recipients", failed, kind="bounce"))
    return cases


INJECTIONS = {
    "subject-encoded-crlf": ("Subject", "=?utf-8?q?Hello=0D=0ABcc:_victim@evil.example?="),
    "subject-encoded-b64-crlf": (
        "Subject",
        "=?utf-8?b?SGVsbG8NCkJjYzogdmljdGltQGV2aWwuZXhhbXBsZQ==?=",
    ),
    "subject-bare-cr": ("Subject", "Hello\rBcc: victim@evil.example"),
    "subject-nul": ("Subject", "Hello\x00World"),
    "subject-bidi": ("Subject", "Invoice \u202egpj.exe"),
    "subject-line-separator": ("Subject", "=?utf-8?q?Hello=E2=80=A8Bcc:_x@y?="),
    "subject-huge": ("Subject", "A" * 100_000),
    "subject-many-words": ("Subject", " ".join(["=?utf-8?q?x?="] * 5000)),
    "subject-bad-b64": ("Subject", "=?utf-8?b?!!!notbase64?="),
    "subject-script": ("Subject", "<script>alert(1)</script> [INC0001042]"),
    "subject-encoded-script": ("Subject", "=?utf-8?q?=3Cscript=3Ealert(1)=3C/script=3E?="),
    "from-name-encoded-crlf": ("From", "=?utf-8?q?Alice=0D=0ABcc=3A_x?= <alice@customer.example>"),
    "from-name-quoted-crlf": ("From", '"Alice\r\n Bcc: x@evil.example" <alice@customer.example>'),
    "from-name-script": ("From", '"<script>x</script>" <alice@customer.example>'),
    "to-crlf": ("To", "=?utf-8?q?desk=0D=0A?= <desk@steward.example>"),
    "msgid-crlf": ("Message-ID", "=?utf-8?q?<a=0D=0Ab@x>?="),
    "msgid-script": ("Message-ID", "<script>@x>"),
    "in-reply-to-crlf": ("In-Reply-To", "<a\r\n b@x>"),
    "references-junk": ("References", "<a@x> junk <<b@y>> <c@z>\t<" + "d" * 300 + "@x>"),
}


def injection_cases() -> list[Case]:
    cases = []
    for name, (header, value) in INJECTIONS.items():
        headers = [h for h in base_headers() if h[0] != header] + [(header, value)]
        cases.append(Case(f"inject-{name}", message(headers, "hello"), outcome="parsed"))
    filenames = {
        "crlf": 'filename="evil\r\n X-Injected: 1.txt"',
        "encoded-crlf": 'filename="=?utf-8?q?evil=0D=0AX-Injected:_1.txt?="',
        "rfc2231-crlf": "filename*=utf-8''evil%0D%0AX-Injected%3A%201.txt",
        "rfc2231-bad-charset": "filename*=x-bogus''r%E9sum%E9.txt",
        "traversal": 'filename="../../../etc/passwd"',
        "windows-path": 'filename="C:\\\\Windows\\\\system32\\\\evil.dll"',
        "reserved": 'filename="CON.txt"',
        "rtl": 'filename="=?utf-8?q?invoice=E2=80=AEfdp.exe?="',
        "long": 'filename="' + "x" * 1000 + '.pdf"',
        "dotfile": 'filename=".htaccess"',
        "empty": 'filename=""',
        "no-name": "",
        "html": 'filename="<img src=x onerror=alert(1)>.html"',
        "continuation": 'filename*0="long"; filename*1="name.txt"',
    }
    for name, param in filenames.items():
        disposition = f"Content-Disposition: attachment; {param}\r\n" if param else ""
        attachment = part("application/octet-stream", b"data", cte="base64", extra=disposition)
        content_type, body = multipart("mixed", [part("text/plain", b"see file"), attachment], "f1")
        raw = message(base_headers(content_type=content_type), body)
        cases.append(Case(f"filename-{name}", raw, outcome="parsed", attachments=1))
    return cases


HOSTILE_HTML = {
    "script": f"<p>Hello</p><script>{SCRIPT_MARKER}()</script>",
    "script-upper": f"<P>Hello<SCRIPT type=text/javascript>{SCRIPT_MARKER}</SCRIPT>",
    "onload": f'<body onload="{SCRIPT_MARKER}()"><p>Hello</p></body>',
    "javascript-href": f'<a href="javascript:{SCRIPT_MARKER}()">Hello</a>',
    "style": f"<style>body{{background:url({SCRIPT_MARKER})}}</style><p>Hello</p>",
    "iframe": f'<iframe src="https://evil.example/{SCRIPT_MARKER}">x</iframe><p>Hello</p>',
    "svg": f"<svg><script>{SCRIPT_MARKER}</script></svg><p>Hello</p>",
    "nested-script": f"<scr<script>{SCRIPT_MARKER}</script>ipt>Hello",
    "unclosed-script": f"<p>Hello</p><script>{SCRIPT_MARKER}",
    "comment": f"<p>Hello</p><!-- <script>{SCRIPT_MARKER}</script> -->",
    "cdata": f"<p>Hello</p><![CDATA[<script>{SCRIPT_MARKER}</script>]]>",
    "img-onerror": f'<img src=x onerror="{SCRIPT_MARKER}"><p>Hello</p>',
    "meta-refresh": f'<meta http-equiv="refresh" content="0;url={SCRIPT_MARKER}"><p>Hello</p>',
    "object": f'<object data="{SCRIPT_MARKER}.swf"></object><p>Hello</p>',
    "noscript": f"<noscript>{SCRIPT_MARKER}</noscript><p>Hello</p>",
    "template": f"<template><p>{SCRIPT_MARKER}</p></template><p>Hello</p>",
    "broken-tags": f"<p>Hello<div<<<script>{SCRIPT_MARKER}</script>",
    "deep-nesting": "<div>" * 5000 + "Hello" + "</div>" * 5000,
}


def html_cases() -> list[Case]:
    cases = []
    for name, markup in HOSTILE_HTML.items():
        for shape in ("html-only", "alternative-empty-plain"):
            html_part = part("text/html; charset=utf-8", markup.encode(), cte="quoted-printable")
            if shape == "html-only":
                headers = base_headers(content_type="text/html; charset=utf-8")
                raw = message(headers, markup)
            else:
                content_type, body = multipart(
                    "alternative", [part("text/plain", b""), html_part], "h1"
                )
                raw = message(base_headers(content_type=content_type), body)
            cases.append(
                Case(
                    f"html-{name}-{shape}",
                    raw,
                    outcome="parsed",
                    body_contains=("Hello",),
                    body_excludes=(SCRIPT_MARKER, "<script", "javascript:"),
                )
            )
    return cases


def forged_cases() -> list[Case]:
    dmarc_pass = "mx.steward.example; dmarc=pass (p=reject) header.from=steward.example"
    variants = [
        (
            "x-steward-ticket",
            base_headers(extra=(("X-Steward-Ticket", "INC0000001"),)),
            ("internal-header:X-Steward-Ticket",),
        ),
        (
            "x-steward-lower",
            base_headers(extra=(("x-steward-internal", "yes"),)),
            ("internal-header:x-steward-internal",),
        ),
        (
            "internal-from",
            base_headers(sender="Boss <boss@steward.example>"),
            ("internal-sender-unauthenticated:steward.example",),
        ),
        (
            "internal-from-upper",
            base_headers(sender="boss@STEWARD.EXAMPLE"),
            ("internal-sender-unauthenticated:steward.example",),
        ),
        (
            "internal-from-dmarc-pass",
            base_headers(
                sender="boss@steward.example", extra=(("Authentication-Results", dmarc_pass),)
            ),
            (),
        ),
        (
            "duplicate-from",
            base_headers(extra=(("From", "mallory@evil.example"),)),
            ("duplicate-header:from",),
        ),
        (
            "duplicate-subject",
            base_headers(extra=(("Subject", "[INC0000002] other"),)),
            ("duplicate-header:subject",),
        ),
        (
            "duplicate-message-id",
            base_headers(extra=(("Message-ID", "<other@x>"),)),
            ("duplicate-header:message-id",),
        ),
    ]
    return [
        Case(f"forged-{name}", message(headers, "hello"), outcome="parsed", suspicious=flags)
        for name, headers, flags in variants
    ]


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


def threading_cases() -> list[Case]:
    variants = {
        "in-reply-to": [("In-Reply-To", "<INC0001042.1.a@steward.example>")],
        "references-folded": [("References", "<a@x>\r\n <b@y>\r\n\t<c@z>")],
        "references-many": [("References", " ".join(f"<r{i}@x>" for i in range(500)))],
        "in-reply-to-with-comment": [("In-Reply-To", "<a@x> (Alice's message of Monday)")],
        "both": [("In-Reply-To", "<a@x>"), ("References", "<z@x> <a@x>")],
        "self-reference": [("References", "<m1@customer.example>")],
        "ticket-in-references-only": [("References", "<INC0001042.1.a@steward.example>")],
        "uppercase-domain": [("In-Reply-To", "<Abc@STEWARD.Example>")],
    }
    return [
        Case(
            f"thread-{name}",
            message(base_headers("Re: help", extra=tuple(extra)), "ok"),
            outcome="parsed",
            reply="ok",
        )
        for name, extra in variants.items()
    ]


def build_corpus() -> list[Case]:
    """Every case; names are unique."""
    return (
        charset_cases()
        + wrong_charset_cases()
        + reply_cases()
        + auto_reply_cases()
        + bounce_cases()
        + injection_cases()
        + html_cases()
        + forged_cases()
        + structure_cases()
        + threading_cases()
    )
