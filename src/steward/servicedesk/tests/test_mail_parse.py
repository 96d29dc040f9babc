"""Parsing incoming mail: the corpus, fuzzing, and the outgoing-header helpers."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.servicedesk.mail import (
    MessageKind,
    ParsedMessage,
    Quarantine,
    make_message_id,
    parse,
    rate_limit_key,
    reply_headers,
    safe_header,
)
from steward.servicedesk.tests.mail_corpus import (
    INTERNAL,
    MAX_ATTACHMENT,
    MAX_TOTAL,
    Case,
    base_headers,
    build_corpus,
    message,
)

CORPUS = build_corpus()
TIME_BOUND_SECONDS = 2.0


def _parse(raw: bytes) -> ParsedMessage | Quarantine:
    return parse(
        raw,
        max_attachment_bytes=MAX_ATTACHMENT,
        max_total_bytes=MAX_TOTAL,
        internal_domains=INTERNAL,
    )


def _header_fields(result: ParsedMessage) -> list[str]:
    return [
        result.message_id,
        result.in_reply_to,
        *result.references,
        result.sender,
        result.sender_name,
        result.reply_to,
        *result.to,
        *result.cc,
        result.subject,
        result.ticket_number,
        *result.auto_signals,
        *result.suspicious_headers,
        *(a.filename for a in result.attachments),
        *(a.content_type for a in result.attachments),
        *(a.content_id for a in result.attachments),
    ]


def _assert_safe(result: ParsedMessage | Quarantine) -> None:
    if isinstance(result, Quarantine):
        assert result.reason and result.message_id
        assert "\n" not in result.detail and "\r" not in result.detail
        return
    for value in _header_fields(result):
        assert "\r" not in value and "\n" not in value and "\x00" not in value, value
        assert "<script" not in value.lower(), value
    assert "\r" not in result.body_text
    for attachment in result.attachments:
        assert "/" not in attachment.filename and "\\" not in attachment.filename
        assert not attachment.filename.startswith(".")
        assert len(attachment.filename) <= 150
        assert len(attachment.data) <= MAX_ATTACHMENT


def test_corpus_is_large_and_distinct() -> None:
    assert len(CORPUS) >= 200
    assert len({case.name for case in CORPUS}) == len(CORPUS)


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_corpus_message(case: Case) -> None:
    # given a raw message from the corpus
    # when it is parsed
    started = time.monotonic()
    result = _parse(case.raw)
    elapsed = time.monotonic() - started

    # then nothing is lost, nothing unsafe comes through, and expectations hold
    assert isinstance(result, ParsedMessage | Quarantine)
    assert elapsed < TIME_BOUND_SECONDS
    _assert_safe(result)
    if case.outcome == "quarantine" or case.reason:
        assert isinstance(result, Quarantine), result
        if case.reason:
            assert result.reason == case.reason, result
        return
    if case.outcome == "parsed":
        assert isinstance(result, ParsedMessage), result
    if not isinstance(result, ParsedMessage):
        return
    if case.kind is not None:
        assert result.kind == case.kind, result.auto_signals
    if case.ticket is not None:
        assert result.ticket_number == case.ticket
    if case.reply is not None:
        assert result.reply_text == case.reply
    for text in case.body_contains:
        assert text in result.body_text
    for text in case.body_excludes:
        assert text not in result.body_text
    if case.attachments is not None:
        assert len(result.attachments) == case.attachments
    for flag in case.suspicious:
        assert flag in result.suspicious_headers
    if case.message_id is not None:
        assert result.message_id == case.message_id


def test_plain_reply_is_parsed_exactly() -> None:
    # given a reply with quoted history, threading headers and a named sender
    headers = base_headers(
        "=?utf-8?q?Re:_[INC0001042]_Dr=C3=BCcker?=",
        sender="=?utf-8?q?J=C3=BCrgen?= <Juergen@Customer.EXAMPLE>",
        extra=(
            ("In-Reply-To", "<a@Steward.example>"),
            ("References", "<z@x> <a@steward.example>"),
            ("Reply-To", "helpdesk@customer.example"),
            ("Cc", "Bob <bob@customer.example>, not-an-address"),
        ),
    )
    raw = message(headers, "Done.\n\nOn Mon, Jan 1, 2024 Desk <d@x> wrote:\n> old")

    # when
    result = _parse(raw)

    # then
    assert isinstance(result, ParsedMessage)
    assert result.sender == "juergen@customer.example"
    assert result.sender_name == "Jürgen"
    assert result.subject == "Re: [INC0001042] Drücker"
    assert result.ticket_number == "INC0001042"
    assert result.message_id == "<m1@customer.example>"
    assert result.in_reply_to == "<a@steward.example>"
    assert result.references == ("<z@x>", "<a@steward.example>")
    assert result.thread_ids == ("<a@steward.example>", "<z@x>")
    assert result.reply_to == "helpdesk@customer.example"
    assert result.to == ("desk@steward.example",)
    assert result.cc == ("bob@customer.example",)
    assert result.date is not None and result.date.utcoffset() is not None
    assert result.reply_text == "Done."
    assert result.kind is MessageKind.NORMAL
    assert result.suspicious_headers == ()


def test_missing_message_id_gets_stable_synthetic_id() -> None:
    raw = message([h for h in base_headers() if h[0] != "Message-ID"], "hi")
    first, second = _parse(raw), _parse(raw)
    assert isinstance(first, ParsedMessage) and isinstance(second, ParsedMessage)
    assert first.message_id.startswith("sha256:")
    assert first.message_id == second.message_id


def test_encoded_crlf_in_subject_is_flattened() -> None:
    headers = [h for h in base_headers() if h[0] != "Subject"]
    headers.append(("Subject", "=?utf-8?q?Hi=0D=0ABcc:_victim@evil.example?="))
    result = _parse(message(headers, "x"))
    assert isinstance(result, ParsedMessage)
    assert result.subject == "Hi Bcc: victim@evil.example"


def test_internal_sender_with_dmarc_pass_is_not_flagged() -> None:
    auth = ("Authentication-Results", "mx; dmarc=pass header.from=steward.example")
    raw = message(base_headers(sender="boss@steward.example", extra=(auth,)), "x")
    result = _parse(raw)
    assert isinstance(result, ParsedMessage)
    assert result.suspicious_headers == ()


def test_attachment_is_extracted_with_sanitised_name() -> None:
    raw = next(case.raw for case in CORPUS if case.name == "filename-traversal")
    result = _parse(raw)
    assert isinstance(result, ParsedMessage)
    (attachment,) = result.attachments
    assert attachment.filename == "passwd"
    assert attachment.data == b"data"
    assert attachment.content_type == "application/octet-stream"
    assert attachment.is_inline is False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes_never_raise(raw: bytes) -> None:
    started = time.monotonic()
    result = _parse(raw)
    assert time.monotonic() - started < TIME_BOUND_SECONDS
    _assert_safe(result)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([c.raw for c in CORPUS if len(c.raw) < 50_000]),
    st.lists(
        st.tuples(st.integers(min_value=0), st.integers(0, 64), st.binary(max_size=64)),
        min_size=1,
        max_size=8,
    ),
)
def test_mutated_corpus_never_raises(raw: bytes, edits: list[tuple[int, int, bytes]]) -> None:
    data = bytearray(raw)
    for position, length, replacement in edits:
        at = position % (len(data) + 1)
        data[at : at + length] = replacement
    started = time.monotonic()
    result = _parse(bytes(data))
    assert time.monotonic() - started < TIME_BOUND_SECONDS
    _assert_safe(result)


@given(st.text(max_size=300))
def test_safe_header_never_contains_line_breaks(value: str) -> None:
    result = safe_header(value)
    assert not any(ch in result for ch in "\r\n\x00\x0b\x0c\x85\u2028\u2029")


def test_reply_headers() -> None:
    headers = reply_headers(
        "INC0001042",
        "AW: RE: [INC0001042] Printer\r\nBcc: victim@evil.example",
        "<orig@Customer.example>",
        ("<a@x>", "not an id", "<b@y>\r\nX-Evil: 1"),
    )
    assert headers == {
        "Subject": "Re: [INC0001042] Printer Bcc: victim@evil.example",
        "In-Reply-To": "<orig@customer.example>",
        "References": "<a@x> <orig@customer.example>",
        "X-Steward-Ticket": "INC0001042",
    }


def test_reply_headers_without_valid_original() -> None:
    headers = reply_headers("bogus\r\n", "Hello", "junk", ())
    assert headers == {"Subject": "Re: Hello"}


def test_make_message_id() -> None:
    first = make_message_id("INC0001042", "steward.example")
    second = make_message_id("INC0001042", "steward.example")
    assert first != second
    assert first.startswith("<INC0001042.") and first.endswith("@steward.example>")
    assert make_message_id("x\r\ny", "evil\r\nX-Evil: 1").endswith("@steward.invalid>")


def test_rate_limit_key() -> None:
    assert rate_limit_key("Alice@Example.com") == "servicedesk:mail-in:alice@example.com"
