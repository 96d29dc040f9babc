"""Auto-replies and bounces, which must never open or reopen a ticket."""

from __future__ import annotations

from steward.servicedesk.tests.mail_corpus.build import Case, base_headers, message, multipart, part

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
