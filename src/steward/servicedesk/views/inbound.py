"""Pages of e-mail in: the quarantine an agent reviews, and mailbox administration.

A message is only ever shown as text: its headers decoded and cleaned, its body as the plain
text ``parse`` extracts (HTML converted, never rendered), and Django escapes all of it. The
raw message is a download (``attachment``, ``nosniff``), never displayed inline.
"""

from __future__ import annotations

from email import message_from_bytes
from email.policy import compat32
from typing import Any, cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.errors import RuleViolation
from steward.servicedesk import imap, inbound
from steward.servicedesk.inbound_filters import InboundMessageFilterSet, MailboxFilterSet
from steward.servicedesk.inbound_forms import DiscardForm, MailboxForm, ReleaseForm
from steward.servicedesk.mail import ParsedMessage
from steward.servicedesk.mail.headers import clean_text, header_text
from steward.servicedesk.models.inbound import InboundMessage, InboundStatus, Mailbox

PER_PAGE = 50
MAX_HEADERS_SHOWN = 100


# --- quarantine -------------------------------------------------------------------------------


@login_required
def message_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, InboundMessage)
    rows = policy.scope(
        InboundMessage.objects.select_related("mailbox", "ticket").defer("raw"), user, "view"
    )
    params = request.GET.copy()
    if "status" not in params and not params.get("q"):
        params.setlist("status", [InboundStatus.QUARANTINED])
    filters = InboundMessageFilterSet(params, queryset=rows)
    mailbox_field: Any = filters.form.fields["mailbox"]
    mailbox_field.widget = _mailbox_select()
    page = Paginator(filters.qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {"filter_form": filters.form, "page": page}
    return render(request, "servicedesk/inbound/message_list.html", context)


def _mailbox_select() -> Any:
    from django import forms

    choices = [("", "Any mailbox"), *Mailbox.objects.values_list("pk", "name")]
    return forms.Select(choices=choices)


def _headers(raw: bytes) -> list[tuple[str, str]]:
    try:
        msg = message_from_bytes(raw[:200_000], policy=compat32)
        items = list(msg.items())[:MAX_HEADERS_SHOWN]
    except Exception:
        return []
    return [
        (clean_text(str(name), limit=80), clean_text(header_text(value), limit=1000))
        for name, value in items
    ]


@login_required
def message_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    message = policy.get_for(user, InboundMessage.objects.select_related("mailbox", "ticket"), pk)
    return _detail(request, message)


@login_required
@require_POST
def message_release(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    message = policy.get_for(user, InboundMessage.objects.all(), pk)
    form = ReleaseForm(request.POST, user=user)
    if form.is_valid():
        try:
            done = inbound.release_message(
                actor=user,
                message=message,
                ticket=form.cleaned_data["ticket"],
                create_requester=form.cleaned_data["create_requester"],
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            number = done.ticket.number if done.ticket else ""
            messages.success(request, f"The message has been released onto {number}.")
            return redirect(done)
    return _detail(request, message, release_form=form)


@login_required
@require_POST
def message_discard(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    message = policy.get_for(user, InboundMessage.objects.all(), pk)
    form = DiscardForm(request.POST)
    if form.is_valid():
        try:
            done = inbound.discard_message(
                actor=user, message=message, note=form.cleaned_data["note"]
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "The message has been discarded.")
            return redirect(done)
    return _detail(request, message, discard_form=form)


def _detail(request: HttpRequest, message: InboundMessage, **forms: Any) -> HttpResponse:
    user = actor_of(request)
    raw = message.raw_bytes()
    parsed = inbound.parse_stored(raw)
    context = {
        "message": message,
        "headers": _headers(raw),
        "parsed": parsed if isinstance(parsed, ParsedMessage) else None,
        "parse_problem": None if isinstance(parsed, ParsedMessage) else parsed.detail,
        "may_review": policy.can(user, "change", message)
        and message.status == InboundStatus.QUARANTINED,
        "release_form": forms.get("release_form") or ReleaseForm(user=user),
        "discard_form": forms.get("discard_form") or DiscardForm(),
    }
    status = 400 if forms else 200
    return render(request, "servicedesk/inbound/message_detail.html", context, status=status)


@login_required
def message_raw(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    message = policy.get_for(user, InboundMessage.objects.all(), pk)
    inbound.record_download(actor=user, message=message)
    response = HttpResponse(message.raw_bytes(), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="message-{message.pk}.eml"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# --- mailboxes --------------------------------------------------------------------------------


@login_required
def mailbox_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, Mailbox)
    rows = policy.scope(Mailbox.objects.select_related("default_team"), user, "view")
    filters = MailboxFilterSet(request.GET, queryset=rows)
    context = {
        "filter_form": filters.form,
        "page": Paginator(filters.qs, PER_PAGE).get_page(request.GET.get("page")),
        "may_add": policy.can_add(user, Mailbox),
    }
    return render(request, "servicedesk/inbound/mailbox_list.html", context)


@login_required
def mailbox_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    mailbox = policy.get_for(
        user, Mailbox.objects.select_related("default_team", "default_category"), pk
    )
    context = {"mailbox": mailbox, "may_change": policy.can(user, "change", mailbox)}
    return render(request, "servicedesk/inbound/mailbox_detail.html", context)


def _mailbox_form(
    request: HttpRequest, form: MailboxForm, mailbox: Mailbox | None, save: Any
) -> HttpResponse:
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except RuleViolation as exc:
            apply_rule_violation(cast(Any, form), exc)
        else:
            messages.success(request, f"{saved} has been saved.")
            return redirect(saved)
    context = {"form": form, "mailbox": mailbox}
    return render(request, "servicedesk/inbound/mailbox_form.html", context)


@login_required
def mailbox_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, Mailbox)
    form = MailboxForm(request.POST or None, user=user)
    return _mailbox_form(
        request,
        form,
        None,
        lambda: inbound.create_mailbox(actor=user, **form.service_arguments()),
    )


@login_required
def mailbox_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    mailbox = policy.get_for(user, Mailbox.objects.all(), pk)
    policy.require(user, "change", mailbox)
    form = MailboxForm(request.POST or None, instance=Mailbox.objects.get(pk=pk), user=user)
    return _mailbox_form(
        request,
        form,
        mailbox,
        lambda: inbound.update_mailbox(actor=user, mailbox=mailbox, **form.service_arguments()),
    )


@login_required
@require_POST
def mailbox_test(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    mailbox = policy.get_for(user, Mailbox.objects.all(), pk)
    policy.require(user, "change", mailbox)
    try:
        outcome = imap.check_connection(mailbox)
    except Exception as error:  # any failure is the answer the administrator asked for
        messages.error(request, f"The connection failed: {type(error).__name__}: {error}")
    else:
        messages.success(request, outcome)
    return redirect(mailbox)
