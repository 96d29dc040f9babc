"""E-mail in: the mailboxes Steward reads, and every message it has read.

``InboundMessage.message_id`` is unique: it is what makes "each message is processed exactly
once" hold when two workers poll the same mailbox at the same time (the second insert fails
and that worker leaves the message to the first). The raw bytes are kept in the database
with the row, in the same transaction, so a message is never half-stored.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Person, Team
from steward.core.models import ScopedQuerySet


class MailboxTls(models.TextChoices):
    """How the IMAP connection is protected."""

    SSL = "ssl", "TLS from the start (IMAPS, port 993)"
    STARTTLS = "starttls", "STARTTLS"
    NONE = "none", "None (trusted networks only)"


class UnknownSender(models.TextChoices):
    """What happens to mail from an address no person has."""

    CREATE = "create", "Create a requester"
    REJECT = "reject", "Quarantine the message"


class InboundStatus(models.TextChoices):
    """Where an incoming message ended up."""

    PROCESSED = "processed", "Processed"
    QUARANTINED = "quarantined", "Quarantined"
    RELEASED = "released", "Released"
    DISCARDED = "discarded", "Discarded"


class InboundReason(models.TextChoices):
    """Why a message was quarantined (parse reasons come from ``mail.QuarantineReason``)."""

    AUTO_REPLY = "auto_reply", "Auto-reply"
    BOUNCE = "bounce", "Bounce"
    RATE_LIMITED = "rate_limited", "Sender over the rate limit"
    UNKNOWN_SENDER = "unknown_sender", "Unknown sender"
    REPLY_FORBIDDEN = "reply_forbidden", "Sender may not reply to this ticket"
    SUSPICIOUS = "suspicious", "Forged or unauthenticated internal sender"
    REFUSED = "refused", "Refused by the ticket rules"
    ERROR = "error", "Processing error"
    EMPTY = "empty", "Empty"
    TOO_LARGE = "too_large", "Too large"
    ATTACHMENT_TOO_LARGE = "attachment_too_large", "Attachment too large"
    TOO_DEEP = "too_deep", "MIME nested too deep"
    TOO_MANY_PARTS = "too_many_parts", "Too many MIME parts"
    NO_SENDER = "no_sender", "No sender address"
    UNPARSEABLE = "unparseable", "Unreadable"


class Mailbox(models.Model):
    """An IMAP mailbox the service desk reads; new mail opens incidents for its team.

    The password is needed to log in, so it is stored; it is never shown or returned by the
    API (write-only).
    """

    name = models.CharField(max_length=100, unique=True)
    address = models.EmailField(help_text="The address people write to.")
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(default=993)
    tls = models.CharField(max_length=10, choices=MailboxTls.choices, default=MailboxTls.SSL)
    username = models.CharField(max_length=255)
    password = models.CharField(max_length=255, blank=True)
    folder = models.CharField(max_length=200, default="INBOX")
    processed_folder = models.CharField(
        max_length=200, blank=True, help_text="Move read messages here (empty: leave them)."
    )
    is_enabled = models.BooleanField(default=True)
    default_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    default_category = models.ForeignKey(
        "incidents.Category", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unknown_sender = models.CharField(
        max_length=10, choices=UnknownSender.choices, default=UnknownSender.CREATE
    )
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_error_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedQuerySet["Mailbox"].as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name_plural = "mailboxes"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("servicedesk:mailbox_detail", args=[self.pk])


class InboundMessageQuerySet(ScopedQuerySet["InboundMessage"]):
    def quarantined(self) -> InboundMessageQuerySet:
        return self.filter(status=InboundStatus.QUARANTINED)

    def from_sender_since(self, sender: str, since: Any) -> InboundMessageQuerySet:
        return self.filter(sender=sender, received_at__gte=since)


class InboundMessage(models.Model):
    """One e-mail as received, with what became of it: a ticket, a comment, or quarantine.

    A message without a usable Message-ID gets ``sha256:<hash of its bytes>``. Quarantined
    messages wait for an agent to release (process again, perhaps onto a chosen ticket) or
    discard them; the raw message is kept either way.
    """

    message_id = models.CharField(max_length=255, unique=True)
    mailbox = models.ForeignKey(
        Mailbox, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    raw = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    sender = models.CharField(max_length=254, blank=True, db_index=True)
    subject = models.CharField(max_length=255, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=12, choices=InboundStatus.choices)
    reason = models.CharField(max_length=30, choices=InboundReason.choices, blank=True)
    detail = models.TextField(blank=True, help_text="What happened, in a sentence or two.")
    ticket = models.ForeignKey(
        "tickets.Ticket",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="inbound_messages",
    )
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    objects = InboundMessageQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["status", "received_at"], name="sd_inbound_status_idx"),
            models.Index(fields=["sender", "received_at"], name="sd_inbound_sender_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=InboundStatus.values),
                name="sd_inbound_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.subject or self.message_id

    def get_absolute_url(self) -> str:
        return reverse("servicedesk:inboundmessage_detail", args=[self.pk])

    @property
    def is_quarantined(self) -> bool:
        return self.status == InboundStatus.QUARANTINED

    def raw_bytes(self) -> bytes:
        return bytes(self.raw)
