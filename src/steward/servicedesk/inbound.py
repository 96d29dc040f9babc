"""E-mail in: each message becomes an incident, a comment on its ticket, or a quarantine entry.

``ingest`` is the one entrance (IMAP fetching, the LMTP listener, the CLI and releasing from
quarantine all end here). One transaction per message: the ``InboundMessage`` row with the
raw bytes is inserted first, and its unique ``message_id`` decides which of two workers
polling the same mailbox processes it. Then, in a savepoint, the message is threaded and
handed to the ticket services; whatever they refuse rolls back to the savepoint and the row
is kept as *quarantined* with the reason. Nothing is dropped.

Rules, in order: a message ``parse`` cannot use is quarantined with its reason; auto-replies
and bounces (``Auto-Submitted`` other than ``no`` included) never open or touch a ticket; a
From in an internal domain without DMARC pass is quarantined as suspicious; a sender over
the rate limit is quarantined; then the message threads onto a ticket (the number in the
subject, else In-Reply-To/References: Steward's own ``<steward.NUMBER.hex@domain>`` ids or
an earlier inbound message's id) as a public comment from the sender, or opens an incident.

The body is the mail's plain text (HTML converted by ``parse``, never rendered), trimmed of
quoted history and signatures and escaped so it shows as written: Markdown or HTML in an
e-mail is text, never markup. An attachment the upload rules refuse does not lose the message:
the ticket or comment is made, the refusal is noted in its text and on the inbound message,
and the raw message (with the file) stays downloadable from the message.

A reply quoting a change approval e-mail's token line (``changes.services.approvals``) is a
vote on that change, not a comment; a token that is forged, expired, used before or for an
older revision of the plan is refused, and the message quarantined with the reason.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from steward.accounts import services as accounts
from steward.accounts.models import Person
from steward.changes.services import approvals as change_approvals
from steward.core import audit, conf, context, policy, uploads
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.incidents import services as incidents
from steward.incidents.choices import IncidentContactType
from steward.incidents.models import Incident
from steward.servicedesk.mail import MessageKind, ParsedMessage, Quarantine, parse
from steward.servicedesk.mail.headers import TICKET_NUMBER
from steward.servicedesk.models.inbound import (
    InboundMessage,
    InboundReason,
    InboundStatus,
    Mailbox,
    UnknownSender,
)
from steward.tickets import services as tickets
from steward.tickets.models import Comment, Ticket, specific

logger = logging.getLogger("steward.mail")

#: Steward's outgoing Message-IDs: ``<steward.INC0001042.9f3a...@domain>`` (and the older
#: ``<INC0001042.<time>.<hex>@domain>`` made by ``mail.make_message_id``).
STEWARD_MESSAGE_ID = re.compile(r"^<(?:steward\.)?([A-Z]{3}[0-9]{7})\.[^<>@\s]*@[^<>\s]+>$")
NO_TEXT = "(The e-mail had no text.)"
TITLE_MAX = 200
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>&~|!{}])")


@dataclass(frozen=True)
class Review:
    """An agent releasing a quarantined message: optionally onto a ticket they chose, or
    creating the unknown sender as a requester."""

    actor: Person
    ticket: Ticket | None = None
    create_requester: bool = False


class _Quarantined(Exception):
    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# --- the entrance -----------------------------------------------------------------------------


def ingest(*, mailbox: Mailbox | None, raw: bytes) -> InboundMessage:
    """Process one raw message (once: a second delivery returns the first one's row)."""
    message, _created = receive(mailbox=mailbox, raw=raw)
    return message


def receive(*, mailbox: Mailbox | None, raw: bytes) -> tuple[InboundMessage, bool]:
    """``ingest``, also saying whether this call processed it (``False``: seen before)."""
    result = parse_stored(raw)
    message_id = result.message_id[:255]
    existing = InboundMessage.objects.filter(message_id=message_id).first()
    if existing is not None:
        return existing, False
    with context.acting("email"), transaction.atomic():
        try:
            with transaction.atomic():
                row = InboundMessage.objects.create(
                    message_id=message_id,
                    mailbox=mailbox,
                    raw=raw,
                    size=len(raw),
                    sha256=hashlib.sha256(raw).hexdigest(),
                    status=InboundStatus.QUARANTINED,
                    reason=InboundReason.ERROR,
                )
        except IntegrityError:
            # Another worker inserted it first (on PostgreSQL we waited for its commit).
            return InboundMessage.objects.get(message_id=message_id), False
        _process(row, result, mailbox=mailbox, review=None)
        audit.record(
            actor=None,
            action=f"inbound_message.{row.status}",
            obj=row,
            changes={
                "mailbox": getattr(mailbox, "pk", None),
                "sender": row.sender,
                "reason": row.reason,
                "ticket": row.ticket_id,
                "comment": row.comment_id,
                **({"detail": row.detail} if row.status == InboundStatus.QUARANTINED else {}),
            },
            object_repr=row.message_id[:200],
        )
    return row, True


def parse_stored(raw: bytes) -> ParsedMessage | Quarantine:
    """``mail.parse`` with the configured limits."""
    return parse(
        raw,
        max_attachment_bytes=conf.get("ATTACHMENT_MAX_BYTES"),
        max_total_bytes=conf.get("MAIL_IN_MAX_MESSAGE_BYTES"),
        internal_domains=frozenset(conf.get("MAIL_IN_INTERNAL_DOMAINS")),
    )


def _process(
    row: InboundMessage,
    result: ParsedMessage | Quarantine,
    *,
    mailbox: Mailbox | None,
    review: Review | None,
) -> None:
    """Decide and do; sets the row's outcome and saves it. Never raises for the message's
    sake (a refused service call becomes the quarantine reason)."""
    try:
        if isinstance(result, Quarantine):
            raise _Quarantined(str(result.reason), result.detail)
        row.sender = result.sender[:254]
        row.subject = result.subject[:255]
        if review is None:
            _screen(row, result)
        with transaction.atomic():
            ticket, comment, notes = _deliver(row, result, mailbox=mailbox, review=review)
    except _Quarantined as held:
        _set(row, InboundStatus.QUARANTINED, held.reason, held.detail)
    except (Forbidden, NotFound) as refused:
        _set(row, InboundStatus.QUARANTINED, InboundReason.REPLY_FORBIDDEN, str(refused))
    except RuleViolation as refused:
        _set(row, InboundStatus.QUARANTINED, InboundReason.REFUSED, _messages(refused))
    except Exception as error:  # a bug must not lose the message either
        logger.exception("processing inbound message %s failed", row.message_id)
        _set(row, InboundStatus.QUARANTINED, InboundReason.ERROR, f"{type(error).__name__}")
    else:
        status = InboundStatus.RELEASED if review else InboundStatus.PROCESSED
        _set(row, status, "", " ".join(notes))
        row.ticket, row.comment = ticket, comment
    # Not the raw bytes again: they were written with the row.
    row.save(update_fields=["sender", "subject", "status", "reason", "detail", "ticket", "comment"])


def _set(row: InboundMessage, status: str, reason: str, detail: str) -> None:
    row.status, row.reason, row.detail = status, reason, detail[:2000]


def _messages(error: RuleViolation) -> str:
    return " ".join(str(message) for message in error.messages)[:2000]


def _screen(row: InboundMessage, result: ParsedMessage) -> None:
    """Loop prevention and spoofing checks; skipped when an agent releases the message."""
    if result.kind is not MessageKind.NORMAL:
        reason = (
            InboundReason.BOUNCE if result.kind is MessageKind.BOUNCE else InboundReason.AUTO_REPLY
        )
        raise _Quarantined(reason, "Signals: " + ", ".join(result.auto_signals))
    unauthenticated = [
        flag for flag in result.suspicious_headers if flag.startswith("internal-sender")
    ]
    if unauthenticated:
        raise _Quarantined(
            InboundReason.SUSPICIOUS,
            f"{result.sender} is in an internal domain but the receiving server did not "
            "authenticate it (no DMARC pass).",
        )
    limit = conf.get("MAIL_IN_RATE_LIMIT")
    minutes = conf.get("MAIL_IN_RATE_WINDOW_MINUTES")
    since = timezone.now() - timedelta(minutes=minutes)
    recent = (
        InboundMessage.objects.from_sender_since(result.sender, since).exclude(pk=row.pk).count()
    )
    if limit and recent >= limit:
        raise _Quarantined(
            InboundReason.RATE_LIMITED,
            f"{recent} messages from {result.sender} in the last {minutes} minutes "
            f"(limit {limit}).",
        )


# --- delivering: a comment or a new incident --------------------------------------------------


def _deliver(
    row: InboundMessage,
    result: ParsedMessage,
    *,
    mailbox: Mailbox | None,
    review: Review | None,
) -> tuple[Ticket, Comment | None, list[str]]:
    token = change_approvals.find_token(result.body_text)
    if token is not None:
        # A reply to a change's approval e-mail is a vote, never a comment: a forged, used,
        # expired or out-of-date token is refused (RuleViolation: quarantined with why).
        change = change_approvals.vote_by_email(
            sender=result.sender, token=token, reply_text=result.reply_text or result.body_text
        )
        return change, None, [f"Vote recorded on {change.number}."]
    target = review.ticket if review and review.ticket else thread_target(result)
    person = Person.objects.filter(email__iexact=result.sender).first()
    if person is not None and not person.is_active:
        raise _Quarantined(InboundReason.UNKNOWN_SENDER, f"{result.sender}'s account is inactive.")
    accepted, refused = _screen_attachments(result)
    body = as_markdown(result.reply_text) or NO_TEXT
    if refused:
        body += "\n\n" + "\n".join(f"_Attachment not kept: {as_markdown(r)}_" for r in refused)
    if target is not None:
        return _reply(row, result, target, person, body, accepted, refused, review=review)
    if person is None:
        creates = review.create_requester if review else False
        policy_creates = mailbox is not None and mailbox.unknown_sender == UnknownSender.CREATE
        if not (creates or policy_creates):
            raise _Quarantined(
                InboundReason.UNKNOWN_SENDER, f"No person has the address {result.sender}."
            )
        # The system creates the requester (as the mailbox policy would); an agent who asks
        # for it need not administer people, and the release's audit entry names them.
        person = accounts.create_person(
            actor=None,
            email=result.sender,
            full_name=result.sender_name or result.sender.split("@")[0],
        )
    values: dict[str, Any] = {}
    if mailbox is not None and mailbox.default_team_id is not None:
        values["team"] = mailbox.default_team
    incident = incidents.open_incident(
        actor=None,
        title=(result.subject or "(no subject)")[:TITLE_MAX],
        requester=person,
        description=body,
        contact_type=IncidentContactType.EMAIL,
        category=mailbox.default_category if mailbox else None,
        **values,
    )
    for attachment in accepted:
        tickets.add_attachment(
            actor=person,
            ticket=incident,
            file=io.BytesIO(attachment.data),
            filename=attachment.filename,
        )
    return incident, None, _notes(refused)


def _reply(
    row: InboundMessage,
    result: ParsedMessage,
    target: Ticket,
    person: Person | None,
    body: str,
    accepted: list[Any],
    refused: list[str],
    *,
    review: Review | None,
) -> tuple[Ticket, Comment | None, list[str]]:
    ticket = specific(target)
    may_reply = person is not None and _may_reply(person, ticket)
    if may_reply:
        assert person is not None
        author, is_public = person, True
    elif review is not None and review.ticket is not None:
        # An agent put this mail on a ticket its sender may not write to: it becomes the
        # agent's work note, quoting who wrote it, never a public reply in the sender's name.
        author, is_public = review.actor, False
        body = f"E-mail from {as_markdown(result.sender)}:\n\n{body}"
    else:
        raise _Quarantined(
            InboundReason.REPLY_FORBIDDEN,
            f"{result.sender} may not reply to {ticket.number}.",
        )
    if isinstance(ticket, Incident):
        comment = incidents.comment_on_incident(
            actor=author, incident=ticket, body=body, is_public=is_public
        )
    else:
        comment = tickets.add_comment(actor=author, ticket=ticket, body=body, is_public=is_public)
    for attachment in accepted:
        tickets.add_attachment(
            actor=author,
            ticket=ticket,
            file=io.BytesIO(attachment.data),
            filename=attachment.filename,
            is_public=is_public,
            comment=comment,
        )
    return ticket, comment, _notes(refused)


def _may_reply(person: Person, ticket: Ticket) -> bool:
    return policy.can(person, "view", ticket) and tickets.may_add_to(person, ticket)


def _screen_attachments(result: ParsedMessage) -> tuple[list[Any], list[str]]:
    """The attachments the upload rules accept, and a sentence for each they refuse."""
    accepted, refused = [], []
    for attachment in result.attachments:
        try:
            uploads.inspect(
                io.BytesIO(attachment.data),
                attachment.filename,
                max_bytes=conf.get("ATTACHMENT_MAX_BYTES"),
            )
        except RuleViolation as error:
            refused.append(f"{attachment.filename}: {_messages(error)}")
        else:
            accepted.append(attachment)
    return accepted, refused


def _notes(refused: list[str]) -> list[str]:
    return [f"Attachment not kept: {item}." for item in refused]


def as_markdown(text: str) -> str:
    """Plain ``text`` as Markdown that renders as exactly that text: every character Markdown
    or HTML would read as markup is backslash-escaped, so nothing in a mail becomes a tag, a
    link or a script."""
    lines = []
    for line in _MARKDOWN_SPECIAL.sub(r"\\\1", text).split("\n"):
        stripped = line.lstrip()
        if stripped[:1] in {"#", "+", "-", "=", ">"}:
            line = line[: len(line) - len(stripped)] + "\\" + stripped
        lines.append(line)
    return "\n".join(lines).strip()


# --- threading --------------------------------------------------------------------------------


def thread_target(result: ParsedMessage) -> Ticket | None:
    """The ticket a message answers: the number in its subject, else the nearest Message-ID
    it refers to that is Steward's own or an earlier inbound message's."""
    if result.ticket_number:
        ticket = Ticket.objects.filter(number=result.ticket_number).first()
        if ticket is not None:
            return ticket
    ids = list(result.thread_ids)
    if not ids:
        return None
    numbers = {}
    for message_id in ids:
        match = STEWARD_MESSAGE_ID.match(message_id)
        if match and TICKET_NUMBER.fullmatch(match.group(1)):
            numbers[message_id] = match.group(1)
    by_number = {t.number: t for t in Ticket.objects.filter(number__in=set(numbers.values()))}
    earlier = dict(
        InboundMessage.objects.filter(message_id__in=ids, ticket__isnull=False).values_list(
            "message_id", "ticket_id"
        )
    )
    for message_id in ids:
        if numbers.get(message_id) in by_number:
            return by_number[numbers[message_id]]
        if message_id in earlier:
            return Ticket.objects.filter(pk=earlier[message_id]).first()
    return None


# --- quarantine review ------------------------------------------------------------------------


@transaction.atomic
def release_message(
    *,
    actor: Person,
    message: InboundMessage,
    ticket: Ticket | None = None,
    create_requester: bool = False,
) -> InboundMessage:
    """Process a quarantined message again, without the loop and rate checks (an agent has
    looked at it): onto ``ticket`` if given, creating the sender as a requester if asked.
    If it still cannot be processed, nothing changes and the reason is raised."""
    locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
    policy.require(actor, "change", locked)
    if locked.status != InboundStatus.QUARANTINED:
        raise RuleViolation("Only quarantined messages can be released.")
    if ticket is not None:
        policy.require(actor, "view", ticket)
    result = parse_stored(locked.raw_bytes())
    if isinstance(result, Quarantine):
        raise RuleViolation(
            f"This message cannot be read ({result.detail}); download it or discard it."
        )
    review = Review(actor=actor, ticket=ticket, create_requester=create_requester)
    before = {"status": locked.status, "reason": locked.reason}
    _process(locked, result, mailbox=locked.mailbox, review=review)
    if locked.status != InboundStatus.RELEASED:
        raise RuleViolation(f"It still cannot be processed: {locked.detail}")
    locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
    locked.save(update_fields=["reviewed_by", "reviewed_at"])
    audit.record(
        actor=actor,
        action="inbound_message.released",
        obj=locked,
        changes={
            "status": [before["status"], locked.status],
            "reason": [before["reason"], ""],
            "ticket": locked.ticket_id,
            "comment": locked.comment_id,
        },
        object_repr=locked.message_id[:200],
    )
    return locked


@transaction.atomic
def discard_message(*, actor: Person, message: InboundMessage, note: str) -> InboundMessage:
    """Set a quarantined message aside for good, saying why. The raw message is kept."""
    locked = InboundMessage.objects.select_for_update().get(pk=message.pk)
    policy.require(actor, "change", locked)
    if locked.status != InboundStatus.QUARANTINED:
        raise RuleViolation("Only quarantined messages can be discarded.")
    note = note.strip()
    if not note:
        raise RuleViolation({"note": "Say why the message is discarded."})
    locked.status = InboundStatus.DISCARDED
    locked.review_note = note[:2000]
    locked.reviewed_by, locked.reviewed_at = actor, timezone.now()
    locked.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    audit.record(
        actor=actor,
        action="inbound_message.discarded",
        obj=locked,
        changes={"status": [InboundStatus.QUARANTINED, locked.status], "note": locked.review_note},
        object_repr=locked.message_id[:200],
    )
    return locked


@transaction.atomic
def record_download(*, actor: Person, message: InboundMessage) -> InboundMessage:
    """Audit that ``actor`` downloaded the raw message (it may hold personal data)."""
    policy.require(actor, "view", message)
    audit.record(
        actor=actor,
        action="inbound_message.downloaded",
        obj=message,
        changes={"sha256": message.sha256},
        object_repr=message.message_id[:200],
    )
    return message


# --- mailboxes --------------------------------------------------------------------------------

MAILBOX_FIELDS = (
    "name",
    "address",
    "host",
    "port",
    "tls",
    "username",
    "folder",
    "processed_folder",
    "is_enabled",
    "default_team",
    "default_category",
    "unknown_sender",
)


def _check_mailbox(mailbox: Mailbox) -> None:
    if mailbox.default_team is not None and not mailbox.default_team.is_active:
        raise RuleViolation({"default_team": f"{mailbox.default_team} is not active."})
    category = mailbox.default_category
    if category is not None and (category.parent_id is not None or not category.is_active):
        raise RuleViolation({"default_category": "Choose an active top-level category."})
    if Mailbox.objects.filter(name__iexact=mailbox.name).exclude(pk=mailbox.pk).exists():
        raise RuleViolation({"name": "A mailbox with this name already exists."})


@transaction.atomic
def create_mailbox(
    *, actor: Person | None, name: str, password: str = "", **values: Any
) -> Mailbox:
    """A mailbox to read; ``password`` is stored for logging in and never shown again."""
    if actor is not None:
        policy.require_add(actor, Mailbox)
    unknown = set(values) - set(MAILBOX_FIELDS)
    if unknown:
        raise RuleViolation({field: "This field cannot be set." for field in sorted(unknown)})
    mailbox = Mailbox(name=name.strip(), password=password, **values)
    _check_mailbox(mailbox)
    mailbox.full_clean()
    mailbox.save()
    audit.record(
        actor=actor,
        action="mailbox.created",
        obj=mailbox,
        changes={
            **audit.diff({}, audit.snapshot(mailbox, MAILBOX_FIELDS)),
            "password": "set" if password else "empty",
        },
    )
    return mailbox


@transaction.atomic
def update_mailbox(*, actor: Person | None, mailbox: Mailbox, **changes: Any) -> Mailbox:
    """Change a mailbox; a ``password`` of ``""`` or ``None`` keeps the current one."""
    password = changes.pop("password", None)
    unknown = set(changes) - set(MAILBOX_FIELDS)
    if unknown:
        raise RuleViolation({field: "This field cannot be changed." for field in sorted(unknown)})
    locked = Mailbox.objects.select_for_update().get(pk=mailbox.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    before = audit.snapshot(locked, MAILBOX_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value.strip() if name == "name" else value)
    changed: dict[str, Any] = {}
    if password:
        locked.password = password
        changed["password"] = "changed"
    _check_mailbox(locked)
    changed.update(audit.diff(before, audit.snapshot(locked, MAILBOX_FIELDS)))
    if not changed:
        return locked
    locked.full_clean()
    locked.save()
    audit.record(actor=actor, action="mailbox.updated", obj=locked, changes=changed)
    return locked
