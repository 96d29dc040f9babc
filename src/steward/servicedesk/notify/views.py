"""Administration pages: notification templates (edit with preview) and outbound mail.

Only people with the model permissions (administrators; auditors read) get these pages;
anybody else gets 404, as for a record they may not see.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Person, actor_of
from steward.core import markdown, policy
from steward.core.errors import RuleViolation
from steward.servicedesk.models.outbound import (
    NotificationTemplate,
    OutboundEmail,
    OutboundStatus,
)
from steward.servicedesk.notify import render as notify_render
from steward.servicedesk.notify import services
from steward.servicedesk.notify.filters import OutboundEmailFilterSet
from steward.servicedesk.notify.forms import NotificationTemplateForm

PER_PAGE = 50


# --- templates --------------------------------------------------------------------------------


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, NotificationTemplate)
    services.ensure_default_templates()
    templates = policy.scope(NotificationTemplate.objects.all(), user, "view")
    context = {
        "templates": templates,
        "may_add": policy.can_add(user, NotificationTemplate),
        "may_change": policy.has_model_permission(user, NotificationTemplate, "change"),
    }
    return render(request, "servicedesk/notify/template_list.html", context)


def _template_form_page(
    request: HttpRequest, user: Person, template: NotificationTemplate | None
) -> HttpResponse:
    form = NotificationTemplateForm(request.POST or None, template=template)
    preview = None
    if request.method == "POST" and form.is_valid():
        values = form.service_arguments()
        try:
            if "preview" in request.POST:
                preview = notify_render.check(values["subject"], values["body"])
            else:
                saved = (
                    services.update_template(actor=user, template=template, **values)
                    if template is not None
                    else services.create_template(actor=user, **values)
                )
                messages.success(request, f"The template {saved} has been saved.")
                return redirect("notifications:template_list")
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
    context = {
        "form": form,
        "template": template,
        "preview": preview,
        "preview_html": (markdown.render(preview.body) if preview is not None else None),
        "context_help": notify_render.CONTEXT_HELP,
    }
    return render(request, "servicedesk/notify/template_form.html", context)


@login_required
def template_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, NotificationTemplate)
    policy.require_add(user, NotificationTemplate)
    return _template_form_page(request, user, None)


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, NotificationTemplate)
    template = policy.get_for(user, NotificationTemplate.objects.all(), pk)
    policy.require(user, "change", template)
    return _template_form_page(request, user, template)


# --- outbound mail ----------------------------------------------------------------------------


@login_required
def outbound_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, OutboundEmail)
    rows = policy.scope(
        OutboundEmail.objects.select_related("ticket").defer("body_text", "body_html"),
        user,
        "view",
    )
    filters = OutboundEmailFilterSet(request.GET, queryset=rows)
    now = timezone.now()
    context = {
        "filter_form": filters.form,
        "page": Paginator(filters.qs, PER_PAGE).get_page(request.GET.get("page")),
        "now": now,
        "stuck": policy.scope(OutboundEmail.objects.stuck(now), user, "view").count(),
        "failed": policy.scope(
            OutboundEmail.objects.filter(status=OutboundStatus.FAILED), user, "view"
        ).count(),
    }
    return render(request, "servicedesk/notify/outbound_list.html", context)


@login_required
def outbound_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, OutboundEmail)
    email = policy.get_for(user, OutboundEmail.objects.select_related("ticket", "recipient"), pk)
    context = {
        "email": email,
        "stuck": email.is_stuck(),
        "may_send_again": email.may_send_again()
        and policy.has_model_permission(user, OutboundEmail, "change"),
    }
    return render(request, "servicedesk/notify/outbound_detail.html", context)


@login_required
@require_POST
def outbound_send_again(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, OutboundEmail)
    email = policy.get_for(user, OutboundEmail.objects.all(), pk)
    try:
        services.send_again(actor=user, email=email)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{email.subject} is queued to be sent again.")
    return redirect(email)
