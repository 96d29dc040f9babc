"""A corpus of raw incoming messages with the outcome each must have, built from templates.

``build_corpus()`` returns several hundred ``Case`` values covering charsets and transfer
encodings, MIME structures, mail-client reply styles, auto-replies and bounces, header
injection, hostile HTML, forged internal headers and malformed or truncated messages. A field
left at ``None`` (or empty) is not checked for that case.
"""

from __future__ import annotations

from steward.servicedesk.tests.mail_corpus.automatic import auto_reply_cases, bounce_cases
from steward.servicedesk.tests.mail_corpus.build import (
    INTERNAL,
    MAX_ATTACHMENT,
    MAX_TOTAL,
    SCRIPT_MARKER,
    Case,
    base_headers,
    message,
)
from steward.servicedesk.tests.mail_corpus.encodings import charset_cases, wrong_charset_cases
from steward.servicedesk.tests.mail_corpus.hostile import forged_cases, html_cases, injection_cases
from steward.servicedesk.tests.mail_corpus.replies import reply_cases
from steward.servicedesk.tests.mail_corpus.structure import structure_cases
from steward.servicedesk.tests.mail_corpus.threads import threading_cases

__all__ = [
    "INTERNAL",
    "MAX_ATTACHMENT",
    "MAX_TOTAL",
    "SCRIPT_MARKER",
    "Case",
    "base_headers",
    "build_corpus",
    "message",
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
