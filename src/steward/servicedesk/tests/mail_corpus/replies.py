"""Replies as mail clients write them: quotes and signatures to trim."""

from __future__ import annotations

from steward.servicedesk.tests.mail_corpus.build import Case, base_headers, message

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
