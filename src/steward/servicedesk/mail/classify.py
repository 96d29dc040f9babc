"""Telling people from machines, and spotting headers an outsider should not be able to set.

``classify`` answers what kind of message this is (``normal``, ``auto_reply`` or ``bounce``)
together with the signals that led there, so loops can be prevented: never auto-answer an
auto-reply or a bounce. ``List-Id`` alone is only a signal (a person may write through a list).
The per-sender rate limit needs state; ``rate_limit_key`` says what to count by.
"""

from __future__ import annotations

import re
from email.message import Message

from steward.servicedesk.mail.headers import clean_text, header_text
from steward.servicedesk.mail.message import MessageKind

INTERNAL_HEADER_PREFIX = "x-steward-"
SINGLE_HEADERS = ("from", "sender", "subject", "message-id", "date", "to", "in-reply-to")

_BOUNCE_SENDERS = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon|mailerdaemon)@", re.I)
_BOUNCE_SUBJECT = re.compile(
    r"(?:delivery status notification|undeliverable:|undelivered mail returned to sender"
    r"|mail delivery failed|returned mail:|failure notice|delivery failure"
    r"|unzustellbar:|nicht zustellbar|delivery has failed|mail delivery subsystem)",
    re.I,
)
_AUTO_SUBJECT = re.compile(
    r"^\s*(?:(?:re|aw|fw|wg)\s*:\s*)*(?:"
    r"out of (?:the )?office|automatic reply|auto(?:matic)?[- ]?reply|autoresponse|auto-response"
    r"|abwesenheitsnotiz|automatische antwort|abwesend|r[ée]ponse automatique|absence"
    r"|vacation reply|on vacation|respuesta autom[aá]tica|automatisch antwoord"
    r")\b",
    re.I,
)
_AUTO_PRECEDENCE = frozenset({"bulk", "junk", "auto_reply", "list"})


def classify(msg: Message, *, sender: str, subject: str) -> tuple[MessageKind, tuple[str, ...]]:
    """The message kind and every signal seen (``"auto-submitted:auto-replied"`` etc.)."""
    bounce: list[str] = []
    auto: list[str] = []
    other: list[str] = []
    content_type = msg.get_content_type()
    report_type = _value(msg.get_param("report-type", "", header="content-type")).lower()
    if content_type == "multipart/report":
        (bounce if report_type in ("delivery-status", "") else auto).append(
            f"multipart/report:{report_type or 'unknown'}"
        )
    if _BOUNCE_SENDERS.match(sender):
        bounce.append("sender:" + sender.split("@")[0])
    if msg.get("x-failed-recipients") is not None:
        bounce.append("x-failed-recipients")
    if _BOUNCE_SUBJECT.search(subject):
        bounce.append("subject:delivery-failure")
    auto_submitted = _header(msg, "auto-submitted").lower()
    if auto_submitted and auto_submitted.split(";")[0].strip() != "no":
        auto.append("auto-submitted:" + auto_submitted.split(";")[0].strip()[:40])
    for name in ("x-autoreply", "x-autorespond", "x-autoresponder"):
        if msg.get(name) is not None:
            auto.append(name)
    precedence = _header(msg, "precedence").lower()
    if precedence in _AUTO_PRECEDENCE:
        auto.append("precedence:" + precedence)
    if _AUTO_SUBJECT.search(subject):
        auto.append("subject:auto-reply")
    if _header(msg, "return-path").replace(" ", "") == "<>":
        auto.append("return-path:null")
    if msg.get("list-id") is not None:
        other.append("list-id")
    signals = tuple(bounce + auto + other)
    if bounce:
        return MessageKind.BOUNCE, signals
    if auto:
        return MessageKind.AUTO_REPLY, signals
    return MessageKind.NORMAL, signals


def suspicious_headers(
    msg: Message, *, sender: str, internal_domains: frozenset[str]
) -> tuple[str, ...]:
    """Flags for headers an outside sender should not set: our own ``X-Steward-*`` headers, a
    From in one of our domains without a passing DMARC result from the receiving server, and
    repeated headers that must occur once."""
    flags: list[str] = []
    names = [str(name) for name in msg]
    for name in dict.fromkeys(names):
        if name.lower().startswith(INTERNAL_HEADER_PREFIX):
            flags.append("internal-header:" + clean_text(name, limit=60))
    lowered = [name.lower() for name in names]
    for name in SINGLE_HEADERS:
        if lowered.count(name) > 1:
            flags.append("duplicate-header:" + name)
    domain = sender.rpartition("@")[2]
    internal = {item.lower().strip() for item in internal_domains}
    if domain and domain in internal and not _dmarc_pass(msg, domain):
        flags.append("internal-sender-unauthenticated:" + domain)
    return tuple(flags)


def rate_limit_key(sender: str) -> str:
    """What a per-sender rate limit counts by: the lowercased address."""
    return "servicedesk:mail-in:" + sender.lower()


def _dmarc_pass(msg: Message, domain: str) -> bool:
    # Only the topmost Authentication-Results is our receiving server's; lower ones may be forged.
    results = _header(msg, "authentication-results").lower()
    return bool(re.search(rf"\bdmarc=pass\b[^;]*header\.from={re.escape(domain)}\b", results))


def _header(msg: Message, name: str) -> str:
    return clean_text(header_text(msg.get(name)), limit=2000)


def _value(value: object) -> str:
    if isinstance(value, tuple):
        value = value[2] if len(value) == 3 else ""
    return clean_text(str(value or ""), limit=100)
