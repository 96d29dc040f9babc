"""Every message of the hostile corpus ingested: a ticket, a comment or a quarantine row each,
never an exception, and no script in anything stored or shown."""

from __future__ import annotations

import re

import pytest
from django.test import override_settings

from steward.accounts.tests.factories import make_person
from steward.core import markdown
from steward.servicedesk import inbound
from steward.servicedesk.models.inbound import InboundMessage, InboundStatus
from steward.servicedesk.tests.inbound_factories import make_mailbox
from steward.servicedesk.tests.mail_corpus import (
    MAX_ATTACHMENT,
    MAX_TOTAL,
    build_corpus,
)
from steward.tickets.models import Attachment, Comment, Ticket

pytestmark = pytest.mark.django_db

CORPUS = build_corpus()


@override_settings(
    STEWARD={
        "ATTACHMENT_MAX_BYTES": MAX_ATTACHMENT,
        "MAIL_IN_MAX_MESSAGE_BYTES": MAX_TOTAL,
        "MAIL_IN_RATE_LIMIT": 0,
    }
)
def test_every_corpus_message_is_a_ticket_a_comment_or_quarantined() -> None:
    # given a mailbox creating requesters, and the corpus's usual sender as a person
    mailbox = make_mailbox(unknown_sender="create")
    make_person(email="alice@customer.example")
    # when every message arrives (many corpus cases share a Message-ID: each earlier row
    # steps aside so every case is processed rather than deduplicated)
    rows = {}
    for case in CORPUS:
        message_id = inbound.parse_stored(case.raw).message_id
        for earlier in InboundMessage.objects.filter(message_id=message_id):
            InboundMessage.objects.filter(pk=earlier.pk).update(message_id=f"old-{earlier.pk}")
        row, created = inbound.receive(mailbox=mailbox, raw=case.raw)
        assert created, case.name
        rows[case.name] = row
    # then each has a row with an outcome, and nothing is lost
    assert InboundMessage.objects.count() == len(CORPUS)
    for name, row in rows.items():
        assert row.status in (InboundStatus.PROCESSED, InboundStatus.QUARANTINED), name
        if row.status == InboundStatus.PROCESSED:
            assert row.ticket_id is not None, name
        else:
            assert row.reason and row.reason != "error", (name, row.reason, row.detail)
    # the expected outcomes hold: auto-replies and bounces never reach a ticket, and what the
    # parser quarantines stays quarantined with its reason
    for case in CORPUS:
        row = rows[case.name]
        if case.kind in ("auto_reply", "bounce"):
            assert (row.status, row.ticket_id) == ("quarantined", None), case.name
        if case.outcome == "quarantine":
            assert row.status == "quarantined", case.name
            assert row.reason == (case.reason or row.reason), case.name
    processed = sum(1 for row in rows.values() if row.status == "processed")
    assert processed > len(CORPUS) // 3
    # and no stored text carries script, rendered or not
    texts = list(Comment.objects.values_list("body", flat=True))
    texts += list(Ticket.objects.values_list("description", flat=True))
    texts += list(Ticket.objects.values_list("title", flat=True))
    for text in texts:
        markdown.validate(text)
        shown = markdown.render(text).lower()
        assert "<script" not in shown
        assert not re.search(r"<[^>]*\son[a-z]+\s*=", shown), shown
        assert not re.search(r"(?:href|src)\s*=\s*[\"']?\s*(?:javascript|vbscript|data):", shown)
    for filename in Attachment.objects.values_list("filename", flat=True):
        assert "/" not in filename and "<" not in filename
