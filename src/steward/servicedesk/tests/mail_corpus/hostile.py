"""Header injection, hostile HTML and forged internal headers."""

from __future__ import annotations

from steward.servicedesk.tests.mail_corpus.build import (
    SCRIPT_MARKER,
    Case,
    base_headers,
    message,
    multipart,
    part,
)

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
