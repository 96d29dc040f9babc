"""Replies threaded by ticket number, In-Reply-To and References."""

from __future__ import annotations

from steward.servicedesk.tests.mail_corpus.build import Case, base_headers, message


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
