"""The ticket page and everything done on it. Views parse, fetch through the policy, call one
service and render; a refused write comes back as a form error or a message, never a 500."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Person, actor_of
from steward.core import policy, uploads, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.tickets import forms as f
from steward.tickets import panels, services
from steward.tickets.choices import LINK_INVERSE_LABELS, LinkType
from steward.tickets.models import Attachment, Comment, Ticket, TicketLink, specific

#: What requesters see of a ticket's history besides public replies.
PUBLIC_HISTORY = ("created", "transitioned", "remapped", "attached")


def _ticket(request: HttpRequest, number: str) -> Ticket:
    """The ticket by its number, through the policy (404 when unseen or unknown)."""
    visible = Ticket.objects.visible_to(actor_of(request)).filter(number=number).values("pk")
    ticket = (
        Ticket.objects.select_related(
            "requester", "organisation", "assignee", "team", "service", "configuration_item"
        )
        .filter(pk__in=visible)
        .first()
    )
    if ticket is None:
        raise NotFound("ticket not found")
    # The ticket as its own kind (an incident follows the incident workflow and fields).
    kind: Ticket = specific(ticket)
    return kind


@dataclass(frozen=True)
class Moment:
    """One line of the timeline: a comment or an audit entry, in words."""

    at: datetime
    kind: str
    actor: str
    comment: Comment | None = None
    entry: AuditEntry | None = None
    text: str = ""


def describe(entry: AuditEntry, labels: dict[str, str], *, staff: bool) -> str:
    """An audit entry as a sentence for the timeline."""
    changes = entry.changes or {}
    verb = entry.action.rsplit(".", 1)[-1]
    state = changes.get("state") or [None, None]
    names = {old: labels.get(old, old) for old in state if old}
    if verb == "created":
        return "opened the ticket"
    if verb == "transitioned":
        return f"moved it from {names.get(state[0], state[0])} to {names.get(state[1], state[1])}"
    if verb == "remapped":
        return (
            f"moved it from {names.get(state[0], state[0])} to {names.get(state[1], state[1])} "
            f"when the process profile became {changes.get('profile')}"
        )
    if verb == "updated":
        fields = ", ".join(sorted(changes)) if staff else "the details"
        return f"changed {fields}"
    if verb == "attached":
        return f"attached {changes.get('filename', 'a file')}"
    if verb in ("linked", "unlinked"):
        kind = str(changes.get("type", "")).replace("_", " ")
        return f"{verb} it ({kind}) with {changes.get('other')}"
    if verb == "time_logged":
        return f"logged {changes.get('minutes')} minutes"
    if verb in ("watched", "unwatched"):
        return "added a watcher" if verb == "watched" else "removed a watcher"
    return entry.action


def timeline(ticket: Ticket, user: Person, *, staff: bool) -> list[Moment]:
    comments = Comment.objects.visible_to(user).filter(ticket=ticket).select_related("author")
    entries = AuditEntry.objects.for_object(ticket).order_by("id")
    if not staff:
        entries = entries.filter(action__in=[f"ticket.{a}" for a in PUBLIC_HISTORY])
    moments = [
        Moment(c.created_at, "reply" if c.is_public else "note", str(c.author), comment=c)
        for c in comments
    ]
    labels = workflow.state_labels()
    moments += [
        Moment(
            e.created_at,
            "event",
            e.actor_label or "system",
            entry=e,
            text=describe(e, labels, staff=staff),
        )
        for e in entries
        if e.action not in ("ticket.commented", "ticket.work_noted")
    ]
    return sorted(moments, key=lambda m: m.at)


def _links(ticket: Ticket, user: Person) -> list[dict[str, Any]]:
    links = list(TicketLink.objects.touching(ticket).select_related("source", "target"))
    others = {link.target_id if link.source_id == ticket.pk else link.source_id for link in links}
    visible = set(
        Ticket.objects.visible_to(user).filter(pk__in=others).values_list("pk", flat=True)
    )
    rows = []
    for link in links:
        outgoing = link.source_id == ticket.pk
        other = link.target if outgoing else link.source
        if other.pk not in visible:
            continue
        label = LinkType(link.link_type).label if outgoing else LINK_INVERSE_LABELS[link.link_type]
        rows.append({"link": link, "label": label, "other": other})
    return rows


def kind_facts(ticket: Ticket) -> list[tuple[str, Any]]:
    """The fields a ticket's kind adds to the base (an incident's category, contact type...)."""
    base = {field.name for field in Ticket._meta.concrete_fields}
    facts = []
    for field in ticket._meta.concrete_fields:
        if field.name in base or field.name.endswith("_ptr") or not field.editable:
            continue
        value = getattr(ticket, field.name)
        if field.choices:
            value = getattr(ticket, f"get_{field.name}_display")()
        facts.append((str(field.verbose_name).capitalize(), value))
    return facts


def _render(request: HttpRequest, ticket: Ticket, status: int = 200, **forms: Any) -> HttpResponse:
    user = actor_of(request)
    staff = policy.has_model_permission(user, Ticket, "change")
    may_change = policy.can(user, "change", ticket)
    context = {
        "ticket": ticket,
        "kind_facts": kind_facts(ticket),
        "state": workflow.state_of(ticket),
        "transitions": workflow.allowed_transitions(ticket, user) if may_change else [],
        "timeline": timeline(ticket, user, staff=staff),
        "attachments": Attachment.objects.visible_to(user).filter(ticket=ticket),
        "links": _links(ticket, user),
        "time_entries": ticket.time_entries.select_related("person") if staff else [],
        "watching": ticket.watcher_rows.filter(person=user).exists(),
        "watchers": ticket.watchers.all() if staff else [],
        "staff": staff,
        "may_change": may_change,
        "may_comment": services.may_add_to(user, ticket),
        "comment_form": forms.get("comment_form") or f.CommentForm(staff=staff),
        "attachment_form": forms.get("attachment_form") or f.AttachmentForm(),
        "link_form": forms.get("link_form") or f.LinkForm(),
        "time_form": forms.get("time_form") or f.TimeEntryForm(),
        "kind_panels": panels.panels_for(request, ticket),
    }
    return render(request, "tickets/ticket_detail.html", context, status=status)


def render_ticket(request: HttpRequest, ticket: Ticket, status: int = 200) -> HttpResponse:
    """The ticket page (for a kind's own views re-showing it with their form errors)."""
    return _render(request, ticket, status=status)


def get_ticket(request: HttpRequest, number: str) -> Ticket:
    """The ticket by number, as its own kind, through the policy (404 when unseen)."""
    return _ticket(request, number)


@login_required
def ticket_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render(request, _ticket(request, number))


@login_required
def ticket_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, Ticket, owner=user)
    form = f.TicketForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.create_ticket(actor=user, **form.values())
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{ticket.number} has been opened.")
            return redirect(ticket)
    return render(request, "tickets/ticket_form.html", {"form": form, "ticket": None})


@login_required
def ticket_edit(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    if not policy.can(user, "change", ticket) and ticket.requester_id != user.pk:
        raise Forbidden("You may not change this ticket.")
    form = f.TicketForm(request.POST or None, user=user, ticket=ticket)
    conflict = False
    if request.method == "POST" and form.is_valid():
        try:
            ticket = services.edit_ticket(
                actor=user,
                ticket=ticket,
                expected_version=form.cleaned_data.get("version"),
                **form.changes(),
            )
        except Conflict:
            conflict = True
            ticket.refresh_from_db()
            form.add_error(
                None,
                f"{ticket.number} was changed by someone else while you edited it (it is now "
                f"version {ticket.version}). Your changes are below and have not been saved; "
                "compare them with the current ticket and save again.",
            )
            data = request.POST.copy()
            data["version"] = str(ticket.version)
            form.data = data
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{ticket.number} has been saved.")
            return redirect(ticket)
    return render(
        request,
        "tickets/ticket_form.html",
        {"form": form, "ticket": ticket, "conflict": conflict},
        status=409 if conflict else 200,
    )


@login_required
def ticket_transition(request: HttpRequest, number: str, to: str) -> HttpResponse:
    """A transition; those that need fields (a resolution) show a small form first."""
    user = actor_of(request)
    ticket = _ticket(request, number)
    chosen = next((t for t in workflow.allowed_transitions(ticket, user) if t.target == to), None)
    if chosen is None:
        messages.error(request, "That step is not possible from here.")
        return redirect(ticket)
    form = f.TransitionForm(
        request.POST or None,
        transition=chosen,
        user=user,
        model=type(ticket),
        initial={"version": ticket.version},
    )
    if request.method == "POST" and form.is_valid():
        values = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            ticket = services.transition_ticket(
                actor=user,
                ticket=ticket,
                to=to,
                values=values,
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            messages.error(
                request,
                f"{ticket.number} changed while you looked at it; nothing was done. "
                "Check it and try again.",
            )
            return redirect(ticket)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{ticket.number}: {chosen.label.lower()} done.")
            return redirect(ticket)
    return render(
        request,
        "tickets/transition_form.html",
        {"ticket": ticket, "transition": chosen, "form": form},
    )


@login_required
@require_POST
def comment_add(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    staff = policy.has_model_permission(user, Ticket, "change")
    form = f.CommentForm(request.POST, staff=staff)
    if form.is_valid():
        try:
            services.add_comment(
                actor=user,
                ticket=ticket,
                body=form.cleaned_data["body"],
                is_public=form.cleaned_data.get("is_public", True),
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            return redirect(f"{ticket.get_absolute_url()}#timeline")
    return _render(request, ticket, status=400, comment_form=form)


@login_required
@require_POST
def attachment_add(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    form = f.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.add_attachment(
                actor=user,
                ticket=ticket,
                file=upload,
                filename=upload.name,
                is_public=form.cleaned_data["is_public"]
                or not policy.has_model_permission(user, Ticket, "change"),
            )
        except (RuleViolation, ValidationError) as exc:
            form.add_error("file", exc.messages)
        else:
            messages.success(request, f"{upload.name} is attached.")
            return redirect(f"{ticket.get_absolute_url()}#attachments")
    return _render(request, ticket, status=400, attachment_form=form)


def attachment_response(attachment: Attachment) -> FileResponse:
    """A stored file, always as a download with the headers that keep browsers from
    rendering or sniffing it (``core.uploads.download_headers``)."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True)
    inspected = uploads.Inspected(
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
    )
    for header, value in uploads.download_headers(inspected).items():
        response[header] = value
    return response


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    user = actor_of(request)
    return attachment_response(policy.get_for(user, Attachment.objects.all(), pk))


@login_required
@require_POST
def link_add(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    form = f.LinkForm(request.POST)
    if form.is_valid():
        target_number = form.cleaned_data["target"].strip().upper()
        target = Ticket.objects.visible_to(user).filter(number=target_number).first()
        if target is None:
            form.add_error("target", f"No ticket {target_number} that you can see.")
        else:
            try:
                services.link_tickets(
                    actor=user,
                    source=ticket,
                    target=target,
                    link_type=form.cleaned_data["link_type"],
                )
            except RuleViolation as exc:
                form.add_error("target", exc.messages)
            else:
                return redirect(f"{ticket.get_absolute_url()}#links")
    return _render(request, ticket, status=400, link_form=form)


@login_required
@require_POST
def link_remove(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    link = policy.get_for(user, TicketLink.objects.touching(ticket), pk)
    services.unlink_tickets(actor=user, link=link)
    return redirect(f"{ticket.get_absolute_url()}#links")


@login_required
@require_POST
def watch(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    if request.POST.get("watch") == "off":
        services.remove_watcher(actor=user, ticket=ticket, person=user)
        messages.success(request, f"You no longer watch {ticket.number}.")
    else:
        try:
            services.add_watcher(actor=user, ticket=ticket, person=user)
        except RuleViolation as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"You now watch {ticket.number}.")
    return redirect(ticket)


@login_required
@require_POST
def time_add(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    ticket = _ticket(request, number)
    form = f.TimeEntryForm(request.POST)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
        try:
            services.log_time(actor=user, ticket=ticket, **data)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            return redirect(f"{ticket.get_absolute_url()}#time")
    return _render(request, ticket, status=400, time_form=form)
