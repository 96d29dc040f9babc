"""Mail out: the notification templates administrators edit, and every notification queued.

A notification is an ``OutboundEmail`` row written in the same transaction as the change it
reports (from the audit listener in ``servicedesk.notify.events``), so a rolled-back change
mails nobody. A task sends it after commit. ``idempotency_key`` (audit entry, event,
recipient) makes one event queue once; the ``queued -> sending -> sent`` status, claimed by
one worker at a time, makes one row go out once. A row left in ``sending`` (a worker died
mid-send) is never resent by itself: the message may have reached the server, so an
administrator decides (``servicedesk.notify.services.send_again``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Person
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule


class NotificationEvent(models.TextChoices):
    """What happened to a ticket that somebody is told about by e-mail."""

    CREATED = "created", "Ticket opened"
    ASSIGNED = "assigned", "Ticket assigned"
    COMMENTED = "commented", "Public reply"
    RESOLVED = "resolved", "Ticket resolved"
    CLOSED = "closed", "Ticket closed"
    SLA_WARNING = "sla_warning", "Service level at risk"
    SLA_BREACH = "sla_breach", "Service level breached"
    APPROVAL_REQUESTED = "approval_requested", "Change approval requested"


class OutboundStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


#: A row in ``sending`` for longer than this is shown as stuck (its worker probably died).
STUCK_AFTER = timedelta(minutes=10)


class NotificationTemplate(models.Model):
    """Subject and body of one event's e-mail, for every ticket kind or for one kind.

    Both are Django templates rendered from a small, documented context of plain text
    (``servicedesk.notify.render.CONTEXT_HELP``); the body is Markdown and also goes out as
    HTML. A template for a kind (``incidents.incident``) wins over the one for all kinds.
    """

    event = models.CharField(max_length=20, choices=NotificationEvent.choices)
    ticket_kind = models.CharField(
        max_length=50,
        blank=True,
        help_text="Only for this ticket kind (e.g. incidents.incident); empty: every kind.",
    )
    subject = models.CharField(
        max_length=255,
        help_text="A template; the ticket number in brackets is added when it is missing.",
    )
    body = models.TextField(help_text="A template producing Markdown.")
    is_enabled = models.BooleanField(
        default=True, help_text="When off, nobody is mailed about this event."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["NotificationTemplate"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["event", "ticket_kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "ticket_kind"], name="uniq_notification_template"
            )
        ]

    def __str__(self) -> str:
        kind = self.ticket_kind or "every kind"
        return f"{self.get_event_display()} ({kind})"

    def get_absolute_url(self) -> str:
        return reverse("notifications:template_edit", args=[self.pk])


class OutboundEmailQuerySet(ScopedQuerySet["OutboundEmail"]):
    def due(self, now: datetime | None = None) -> OutboundEmailQuerySet:
        return self.filter(status=OutboundStatus.QUEUED, next_attempt_at__lte=now or timezone.now())

    def stuck(self, now: datetime | None = None) -> OutboundEmailQuerySet:
        return self.filter(
            status=OutboundStatus.SENDING, claimed_at__lt=(now or timezone.now()) - STUCK_AFTER
        )


class OutboundEmail(models.Model):
    """One notification to one recipient about one ticket event, and how sending it went."""

    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="outbound_emails"
    )
    event = models.CharField(max_length=20, choices=NotificationEvent.choices)
    audit_entry_id = models.BigIntegerField(
        null=True, blank=True, help_text="The audit entry whose change this reports."
    )
    idempotency_key = models.CharField(max_length=300, unique=True)
    recipient = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient_address = models.EmailField(max_length=254)
    recipient_name = models.CharField(max_length=200, blank=True)
    # What the event was, kept when it is queued; the text is rendered from it when the
    # e-mail is first claimed for sending (``rendered_at``), not in the business transaction.
    state = models.CharField(max_length=40, blank=True, help_text="The ticket's state then.")
    actor_name = models.CharField(max_length=200, blank=True, help_text="Who made the change.")
    comment = models.ForeignKey(
        "tickets.Comment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    rendered_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    message_id = models.CharField(max_length=250, unique=True)
    in_reply_to = models.CharField(max_length=250, blank=True)
    references = models.TextField(blank=True)
    status = models.CharField(
        max_length=10, choices=OutboundStatus.choices, default=OutboundStatus.QUEUED
    )
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = OutboundEmailQuerySet.as_manager()
    policy_rule = Rule(organisation="ticket__organisation")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="outbound_due"),
            models.Index(fields=["ticket", "id"], name="outbound_ticket"),
        ]
        verbose_name = "outbound e-mail"

    def __str__(self) -> str:
        return f"{self.subject} to {self.recipient_address}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:outbound_detail", args=[self.pk])

    def is_stuck(self, now: datetime | None = None) -> bool:
        """In ``sending`` for so long that its worker has probably died."""
        return (
            self.status == OutboundStatus.SENDING
            and self.claimed_at is not None
            and self.claimed_at < (now or timezone.now()) - STUCK_AFTER
        )

    def may_send_again(self, now: datetime | None = None) -> bool:
        return self.status == OutboundStatus.FAILED or self.is_stuck(now)
