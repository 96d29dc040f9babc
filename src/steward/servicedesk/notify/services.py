"""Every write about notifications: templates, queueing a notification, sending it again.

Sending itself (claiming rows, SMTP, retries) is ``servicedesk.notify.sending``; deciding who
is told about which audit entry is ``servicedesk.notify.events``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.core import audit, conf, markdown, policy, txcache, workflow
from steward.core.errors import Forbidden, RuleViolation, refuse_unknown
from steward.servicedesk.mail.headers import valid_address
from steward.servicedesk.mail.outgoing import (
    MAX_OUTGOING_REFERENCES,
    notification_message_id,
    safe_header,
)
from steward.servicedesk.models.outbound import (
    NotificationEvent,
    NotificationTemplate,
    OutboundEmail,
    OutboundStatus,
)
from steward.servicedesk.notify import render
from steward.tickets.models import Comment, Ticket, ticket_kinds

TEMPLATE_FIELDS = ("event", "ticket_kind", "subject", "body", "is_enabled")


# --- templates --------------------------------------------------------------------------------


def ensure_default_templates() -> None:
    """The shipped template of every event for every kind, created when missing (so a fresh
    installation sends sensible mail and administrators have a row to edit)."""
    present = set(
        NotificationTemplate.objects.filter(ticket_kind="").values_list("event", flat=True)
    )
    for event, (subject, body) in render.DEFAULTS.items():
        if event not in present:
            NotificationTemplate.objects.get_or_create(
                event=event, ticket_kind="", defaults={"subject": subject, "body": body}
            )


#: Every template, read once per transaction (a routed creation queues two e-mails of two
#: events); the template services forget it when they change one.
TEMPLATES_KEY = "servicedesk.notify.templates"


def _templates() -> dict[tuple[str, str], NotificationTemplate]:
    return txcache.memo(
        TEMPLATES_KEY,
        lambda: {(t.event, t.ticket_kind): t for t in NotificationTemplate.objects.all()},
    )


def template_for(event: str, kind: str) -> NotificationTemplate:
    """The kind's own template for ``event`` if there is one, else the one for every kind."""
    found = _templates()
    if (event, kind) in found:
        return found[(event, kind)]
    if (event, "") not in found:
        ensure_default_templates()
        txcache.forget(TEMPLATES_KEY)
        return NotificationTemplate.objects.get(event=event, ticket_kind="")
    return found[(event, "")]


def kind_choices() -> list[tuple[str, str]]:
    """Ticket kinds a template may be limited to, by label (``incidents.incident``)."""
    return sorted(
        (label, str(model._meta.verbose_name).capitalize())
        for label, model in ticket_kinds().items()
    )


def _check_template(values: dict[str, Any]) -> None:
    render.check(values["subject"], values["body"])


def _require_template_right(actor: Person | None, action: str) -> None:
    if actor is not None and not policy.has_model_permission(actor, NotificationTemplate, action):
        raise Forbidden("Only administrators edit notification templates.")


@transaction.atomic
def create_template(
    *,
    actor: Person | None,
    event: str,
    subject: str,
    body: str,
    ticket_kind: str = "",
    is_enabled: bool = True,
) -> NotificationTemplate:
    """A template for one event (and, usually, one ticket kind). It must compile."""
    _require_template_right(actor, "add")
    values = {
        "event": event,
        "ticket_kind": ticket_kind,
        "subject": subject,
        "body": body,
        "is_enabled": is_enabled,
    }
    if event not in NotificationEvent.values:
        raise RuleViolation({"event": "Unknown event."})
    if ticket_kind and ticket_kind not in ticket_kinds():
        raise RuleViolation({"ticket_kind": "Unknown ticket kind."})
    _check_template(values)
    if NotificationTemplate.objects.filter(event=event, ticket_kind=ticket_kind).exists():
        raise RuleViolation({"ticket_kind": "There is already a template for this event and kind."})
    template = NotificationTemplate.objects.create(**values)
    txcache.forget(TEMPLATES_KEY)
    audit.record(
        actor=actor,
        action="notification_template.created",
        obj=template,
        changes=audit.diff({}, audit.snapshot(template, TEMPLATE_FIELDS)),
    )
    return template


@transaction.atomic
def update_template(
    *, actor: Person | None, template: NotificationTemplate, **changes: Any
) -> NotificationTemplate:
    """Change a template's subject, body or switch; a template that does not compile or
    render is refused field by field and nothing changes."""
    _require_template_right(actor, "change")
    refuse_unknown(changes, {"subject", "body", "is_enabled"})
    locked = NotificationTemplate.objects.select_for_update().get(pk=template.pk)
    before = audit.snapshot(locked, TEMPLATE_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_template(audit.snapshot(locked, TEMPLATE_FIELDS))
    changed = audit.diff(before, audit.snapshot(locked, TEMPLATE_FIELDS))
    if not changed:
        return locked
    locked.updated_at = timezone.now()
    locked.save()
    txcache.forget(TEMPLATES_KEY)
    audit.record(actor=actor, action="notification_template.updated", obj=locked, changes=changed)
    return locked


@transaction.atomic
def delete_template(*, actor: Person | None, template: NotificationTemplate) -> None:
    """Remove a kind's own template (that kind then gets the one for every kind). The
    templates for every kind stay: switch them off instead."""
    _require_template_right(actor, "delete")
    if not template.ticket_kind:
        raise RuleViolation(
            {"ticket_kind": "The template for every kind can only be switched off."}
        )
    audit.record(
        actor=actor,
        action="notification_template.deleted",
        obj=template,
        changes=audit.diff(audit.snapshot(template, TEMPLATE_FIELDS), {}),
    )
    template.delete()
    txcache.forget(TEMPLATES_KEY)


# --- queueing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipient:
    """Somebody to mail: a person, or a team's shared address (``person`` is ``None``)."""

    name: str
    address: str
    person: Person | None = None

    @classmethod
    def of(cls, person: Person) -> Recipient:
        return cls(name=person.full_name, address=person.email, person=person)


def _kind_label(ticket: Ticket) -> str:
    model = ticket_kinds().get(ticket.kind, Ticket)
    return str(model._meta.verbose_name)


def _state_label(ticket: Ticket, code: str) -> str:
    try:
        state = workflow.workflow_for(ticket.kind or Ticket._meta.label_lower).state(code)
    except LookupError:
        state = None
    return state.label if state else code


def ticket_context(
    ticket: Ticket,
    *,
    recipient: Recipient,
    actor_name: str,
    comment: Comment | None = None,
    event: str = "",
    state: str = "",
) -> dict[str, str]:
    """The plain-text context a template sees (``render.CONTEXT_HELP``); ``state`` is the
    ticket's state when the event happened (default: now)."""
    if comment is None:
        comment = (
            Comment.objects.filter(ticket_id=ticket.pk, is_public=True)
            .select_related("author")
            .order_by("-created_at", "-id")
            .first()
        )
    assignee = ticket.assignee if ticket.assignee_id else None
    team = ticket.team if ticket.team_id else None
    return {
        "number": ticket.number,
        "title": ticket.title,
        "kind": _kind_label(ticket),
        "state": _state_label(ticket, state or ticket.state),
        "priority": str(ticket.get_priority_display()),
        "url": conf.get("PUBLIC_URL").rstrip("/") + ticket.get_absolute_url(),
        "description": ticket.description,
        "resolution": ticket.resolution,
        "requester_name": ticket.requester.full_name,
        "assignee_name": assignee.full_name if assignee else "",
        "team_name": team.name if team else "",
        "recipient_name": recipient.name,
        "actor_name": actor_name,
        "comment": comment.body if comment and comment.is_public else "",
        "comment_author": comment.author.full_name if comment and comment.is_public else "",
        "site_name": conf.get("SITE_NAME"),
        "rating": _rating_line(ticket, recipient) if event == NotificationEvent.RESOLVED else "",
        "approval_token": (
            _approval_token(ticket, recipient)
            if event == NotificationEvent.APPROVAL_REQUESTED
            else ""
        ),
    }


def _approval_token(ticket: Ticket, recipient: Recipient) -> str:
    """The signed token line of the recipient's pending approval of a change."""
    from steward.changes.services import approvals

    person_id = recipient.person.pk if recipient.person is not None else None
    return approvals.token_for(ticket.pk, person_id)


def _rating_line(ticket: Ticket, recipient: Recipient) -> str:
    """Five one-click rating links, for the requester of a resolved ticket only."""
    from steward.servicedesk.satisfaction import rating_links

    if recipient.person is None or recipient.person.pk != ticket.requester_id:
        return ""
    links = rating_links(ticket)
    return "How did we do? " + " ".join(f"[{score}]({url})" for score, url in links.items())


def subject_with_number(subject: str, number: str) -> str:
    """One header line carrying ``[number]``: added in front when the template left it out."""
    text = safe_header(subject)
    tag = f"[{number}]"
    return text if tag in text else safe_header(f"{tag} {text}")


def _thread(email: OutboundEmail) -> tuple[str, str]:
    """(In-Reply-To, References) of a ticket's notification: the first one is the thread's
    root, later ones answer it and name the earlier ones after it."""
    earlier = list(
        OutboundEmail.objects.filter(ticket_id=email.ticket_id, id__lt=email.pk)
        .order_by("id")
        .values_list("message_id", flat=True)
    )
    if not earlier:
        return "", ""
    root, rest = earlier[0], earlier[1:]
    chain = [root, *rest[-(MAX_OUTGOING_REFERENCES - 1) :]]
    return root, " ".join(chain)


def queue_notification(
    *,
    ticket: Ticket,
    event: str,
    recipient: Recipient,
    key: str,
    actor_name: str,
    audit_entry_id: int | None = None,
    comment: Comment | None = None,
    key_is_new: bool = False,
) -> OutboundEmail | None:
    """Write one notification for sending after commit; ``None`` when its template is off,
    the address is unusable, or ``key`` was queued before (one event, one e-mail).

    ``key_is_new``: the caller made ``key`` just now (from a new audit entry), so no earlier
    row can hold it and the look-up is skipped; the unique index still guards it.
    """
    address = valid_address(recipient.address or "")
    if not address:
        return None
    key = f"{key}:{event}:{address}"[:300]
    if not key_is_new and OutboundEmail.objects.filter(idempotency_key=key).exists():
        return None
    if not template_for(event, ticket.kind).is_enabled:
        return None
    return OutboundEmail.objects.create(
        ticket_id=ticket.pk,
        event=event,
        audit_entry_id=audit_entry_id,
        idempotency_key=key,
        recipient=recipient.person,
        recipient_address=address,
        recipient_name=safe_header(recipient.name)[:200],
        state=ticket.state,
        actor_name=actor_name[:200],
        comment=comment,
        message_id=notification_message_id(ticket.number, conf.get("MAIL_DOMAIN")),
    )


def render_email(email: OutboundEmail) -> OutboundEmail:
    """Write the subject, text, HTML and threading headers of a queued notification, once.

    Called when the e-mail is first claimed for sending, so the business transaction that
    queued it only wrote one row. The template is the one in force then; ``state``,
    ``actor_name`` and ``comment`` are what they were at the event.
    """
    if email.rendered_at is not None:
        return email
    ticket = Ticket.objects.select_related("requester", "assignee", "team").get(pk=email.ticket_id)
    recipient = Recipient(
        name=email.recipient_name, address=email.recipient_address, person=email.recipient
    )
    comment = (
        Comment.objects.select_related("author").filter(pk=email.comment_id).first()
        if email.comment_id
        else None
    )
    context = ticket_context(
        ticket,
        recipient=recipient,
        actor_name=email.actor_name,
        comment=comment,
        event=email.event,
        state=email.state,
    )
    template = template_for(email.event, ticket.kind)
    try:
        subject = render.render(template.subject, context)
        body = render.render(template.body, context)[: render.MAX_BODY_CHARS]
    except Exception:  # an edited template that broke after all: fall back to the shipped one
        subject, body = (render.render(t, context) for t in render.DEFAULTS[email.event])
    email.subject = subject_with_number(subject, ticket.number)[:300]
    email.body_text = body
    email.body_html = str(markdown.render(body))
    email.in_reply_to, email.references = _thread(email)
    email.rendered_at = timezone.now()
    OutboundEmail.objects.filter(pk=email.pk).update(
        subject=email.subject,
        body_text=email.body_text,
        body_html=email.body_html,
        in_reply_to=email.in_reply_to,
        references=email.references,
        rendered_at=email.rendered_at,
    )
    return email


# --- administrators' decisions ----------------------------------------------------------------


@transaction.atomic
def send_again(*, actor: Person | None, email: OutboundEmail) -> OutboundEmail:
    """Queue a failed notification, or one stuck in ``sending``, for another try.

    A stuck one may already have reached the mail server (its worker died between sending
    and recording it), so only a person decides to risk a second copy; it is audited.
    """
    locked = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if not locked.may_send_again():
        raise RuleViolation(
            {"status": "Only failed e-mails, or ones stuck in sending, can be sent again."}
        )
    before = {"status": locked.status, "attempts": locked.attempts}
    locked.status = OutboundStatus.QUEUED
    locked.attempts = 0
    locked.next_attempt_at = timezone.now()
    locked.claimed_at = None
    locked.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_at"])
    audit.record(
        actor=actor,
        action="outbound_email.requeued",
        obj=locked,
        changes=audit.diff(before, {"status": locked.status, "attempts": 0}),
    )
    from steward.servicedesk.notify import tasks

    transaction.on_commit(lambda: tasks.enqueue([locked.pk]), robust=True)
    return locked
