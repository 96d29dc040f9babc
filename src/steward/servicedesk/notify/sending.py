"""Sending queued notifications over SMTP, each at most once.

1. **Claim** (one short transaction): due ``queued`` rows are locked (``SKIP LOCKED`` on
   PostgreSQL, so a second worker takes other rows instead of waiting; SQLite's
   ``IMMEDIATE`` transactions let one writer at a time) and switched to ``sending`` with
   ``attempts + 1``. Only a row that moved from ``queued`` to ``sending`` in that statement is
   the worker's to send.
2. **Send** outside any transaction, through Django's mail API.
3. **Record**: ``sent``; or, when the server refused or could not be reached, ``queued``
   again after an exponential back-off (``MAIL_RETRY_SECONDS`` x 2^(attempts-1)), and
   ``failed`` after ``MAIL_MAX_ATTEMPTS`` attempts.

A worker that dies between 2 and 3 leaves the row in ``sending``. Nothing sends it again by
itself, because the server may have accepted it: administrators see it as stuck and decide
(``services.send_again``). That is how a notification never goes out twice.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from steward.core import audit, conf
from steward.servicedesk.mail.outgoing import AUTOMATED_HEADERS, address_header, safe_header
from steward.servicedesk.models.outbound import OutboundEmail, OutboundStatus

logger = logging.getLogger("steward.mail")

BATCH = 50
MAX_ERROR_CHARS = 2000


@dataclass
class SendResult:
    """What one run did: sent, will retry, given up on."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0

    def add(self, other: SendResult) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed


def sender_address() -> str:
    configured = conf.get("MAIL_FROM")
    if configured:
        return safe_header(configured)
    return address_header(conf.get("SITE_NAME"), f"steward@{conf.get('MAIL_DOMAIN')}")


def build_message(email: OutboundEmail, connection: Any = None) -> EmailMultiAlternatives:
    """The notification as Django builds it: text, HTML alternative, threading headers."""
    headers = {
        "Message-ID": email.message_id,
        "X-Steward-Ticket": safe_header(email.subject.split("]")[0].lstrip("[")),
        **AUTOMATED_HEADERS,
    }
    if email.in_reply_to:
        headers["In-Reply-To"] = safe_header(email.in_reply_to)
    if email.references:
        headers["References"] = safe_header(email.references)
    message = EmailMultiAlternatives(
        subject=safe_header(email.subject),
        body=email.body_text,
        from_email=sender_address(),
        to=[address_header(email.recipient_name, email.recipient_address)],
        headers=headers,
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(
            f"<!doctype html><html><body>{email.body_html}</body></html>", "text/html"
        )
    return message


def claim(
    *, ids: list[int] | None = None, limit: int = BATCH, now: datetime | None = None
) -> list[int]:
    """Move up to ``limit`` due rows from ``queued`` to ``sending``; returns the ones this
    caller now owns (another worker's rows are skipped, never waited for)."""
    now = now or timezone.now()
    with transaction.atomic():
        due = OutboundEmail.objects.due(now)
        if ids is not None:
            due = due.filter(pk__in=ids)
        candidates = list(
            due.select_for_update(skip_locked=True)
            .order_by("next_attempt_at", "id")
            .values_list("pk", flat=True)[:limit]
        )
        mine = []
        for pk in candidates:
            moved = OutboundEmail.objects.filter(pk=pk, status=OutboundStatus.QUEUED).update(
                status=OutboundStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
            if moved:
                mine.append(pk)
    return mine


def _backoff(attempts: int) -> timedelta:
    base = int(conf.get("MAIL_RETRY_SECONDS"))
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 24 * 3600))


def _record_failure(email: OutboundEmail, error: str, now: datetime) -> str:
    """Back to ``queued`` for a later try, or ``failed`` when the attempts are used up."""
    error = error[:MAX_ERROR_CHARS]
    if email.attempts >= int(conf.get("MAIL_MAX_ATTEMPTS")):
        with transaction.atomic():
            OutboundEmail.objects.filter(pk=email.pk, status=OutboundStatus.SENDING).update(
                status=OutboundStatus.FAILED, last_error=error
            )
            email.status = OutboundStatus.FAILED
            audit.record(
                actor=None,
                action="outbound_email.failed",
                obj=email,
                changes={
                    "status": [OutboundStatus.SENDING, OutboundStatus.FAILED],
                    "attempts": email.attempts,
                    "error": error[:200],
                },
            )
        logger.warning(
            "giving up on e-mail %s after %s attempts: %s", email.pk, email.attempts, error
        )
        return OutboundStatus.FAILED
    OutboundEmail.objects.filter(pk=email.pk, status=OutboundStatus.SENDING).update(
        status=OutboundStatus.QUEUED,
        last_error=error,
        next_attempt_at=now + _backoff(email.attempts),
        claimed_at=None,
    )
    logger.info("e-mail %s refused (attempt %s), will retry: %s", email.pk, email.attempts, error)
    return OutboundStatus.QUEUED


def _record_sent(email: OutboundEmail, now: datetime) -> None:
    with transaction.atomic():
        OutboundEmail.objects.filter(pk=email.pk, status=OutboundStatus.SENDING).update(
            status=OutboundStatus.SENT, sent_at=now, last_error=""
        )
        email.status = OutboundStatus.SENT
        audit.record(
            actor=None,
            action="outbound_email.sent",
            obj=email,
            changes={
                "status": [OutboundStatus.SENDING, OutboundStatus.SENT],
                "attempts": email.attempts,
                "message_id": email.message_id,
            },
        )


def send_claimed(ids: list[int]) -> SendResult:
    """Send rows this worker claimed (status ``sending``), over one SMTP connection."""
    result = SendResult()
    emails = list(
        OutboundEmail.objects.filter(pk__in=ids, status=OutboundStatus.SENDING)
        .select_related("recipient")
        .order_by("id")
    )
    if not emails:
        return result
    connection = get_connection(fail_silently=False)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as exc:
        now = timezone.now()
        for email in emails:
            _count(result, _record_failure(email, f"cannot reach the mail server: {exc}", now))
        return result
    from steward.servicedesk.notify.services import render_email

    try:
        for email in emails:
            try:
                build_message(render_email(email), connection).send(fail_silently=False)
            except (smtplib.SMTPException, OSError) as exc:
                _count(result, _record_failure(email, _describe(exc), timezone.now()))
                _reset(connection)
            else:
                _record_sent(email, timezone.now())
                result.sent += 1
    finally:
        with contextlib.suppress(smtplib.SMTPException, OSError):
            connection.close()
    return result


def _reset(connection: Any) -> None:
    """After a refused message the SMTP session may be mid-transaction: start it over."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        connection.close()
        connection.open()


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"{exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {msg.decode('utf-8', 'replace') if isinstance(msg, bytes) else msg}"
            for address, (code, msg) in exc.recipients.items()
        )
    return f"{type(exc).__name__}: {exc}"


def _count(result: SendResult, status: str) -> None:
    if status == OutboundStatus.FAILED:
        result.failed += 1
    else:
        result.retrying += 1


def send_due(*, ids: list[int] | None = None, limit: int | None = None) -> SendResult:
    """Claim and send what is due (only ``ids``, if given), batch by batch, until none is
    left or ``limit`` rows were tried."""
    result = SendResult()
    tried = 0
    while limit is None or tried < limit:
        batch = BATCH if limit is None else min(BATCH, limit - tried)
        mine = claim(ids=ids, limit=batch)
        if not mine:
            break
        tried += len(mine)
        result.add(send_claimed(mine))
    return result
