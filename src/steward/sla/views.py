"""Service level pages: agreements with their targets, business calendars, the ticket panel.

Views authenticate, fetch through the policy, call one service and render; a refused
definition comes back as the form with the service's message on the field it is about.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Person, actor_of
from steward.core import policy
from steward.core.errors import RuleViolation
from steward.core.paging import CappedPaginator
from steward.sla import services
from steward.sla.filters import AgreementFilterSet
from steward.sla.forms import AgreementForm, BusinessCalendarForm, ComplianceForm, TargetForm
from steward.sla.models import Agreement, BusinessCalendar, SlaClock, Target

PER_PAGE = 50


# --- agreements -------------------------------------------------------------------------------


@login_required
def agreement_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, Agreement)
    rows = (
        Agreement.objects.visible_to(user)
        .select_related("customer", "team", "supplier", "calendar")
        .annotate(target_count=Count("targets", distinct=True))
        .order_by("kind", "name", "id")
    )
    filters = AgreementFilterSet(request.GET or None, queryset=rows)
    page = CappedPaginator(filters.qs, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filters": filters,
        "page": page,
        "may_add": policy.can_add(user, Agreement),
    }
    return render(request, "sla/agreement_list.html", context)


def _agreement_form_page(
    request: HttpRequest, user: Person, agreement: Agreement | None
) -> HttpResponse:
    form = AgreementForm(request.POST or None, user=user, agreement=agreement)
    if request.method == "POST" and form.is_valid():
        values = form.service_arguments()
        try:
            if agreement is None:
                saved = services.create_agreement(actor=user, **values)
            else:
                saved = services.update_agreement(actor=user, agreement=agreement, **values)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{saved} has been saved.")
            return redirect(saved.get_absolute_url())
    return render(request, "sla/agreement_form.html", {"form": form, "agreement": agreement})


@login_required
def agreement_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, Agreement)
    policy.require_add(user, Agreement)
    return _agreement_form_page(request, user, None)


@login_required
def agreement_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    agreement = policy.get_for(user, Agreement.objects.all(), pk)
    policy.require(user, "change", agreement)
    return _agreement_form_page(request, user, agreement)


@login_required
def agreement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    agreement = policy.get_for(
        user,
        Agreement.objects.select_related("customer", "team", "supplier", "calendar"),
        pk,
    )
    context = {
        "agreement": agreement,
        "targets": agreement.targets.order_by("ticket_kind", "priority", "metric", "id"),
        "services": agreement.services.all(),
        "supports": agreement.supports.all(),
        "supported_by": agreement.supported_by.all(),
        "clock_counts": dict(
            SlaClock.objects.filter(agreement=agreement)
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        ),
        "may_change": policy.can(user, "change", agreement),
        "may_add_target": policy.can_add(user, Target),
    }
    return render(request, "sla/agreement_detail.html", context)


# --- targets ----------------------------------------------------------------------------------


def _target_form_page(
    request: HttpRequest, user: Person, agreement: Agreement, target: Target | None
) -> HttpResponse:
    form = TargetForm(request.POST or None, target=target)
    if request.method == "POST" and form.is_valid():
        values = form.service_arguments()
        try:
            if target is None:
                services.create_target(actor=user, agreement=agreement, **values)
            else:
                services.update_target(actor=user, target=target, **values)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "The target has been saved.")
            return redirect(agreement.get_absolute_url())
    context = {"form": form, "agreement": agreement, "target": target}
    return render(request, "sla/target_form.html", context)


@login_required
def target_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    agreement = policy.get_for(user, Agreement.objects.select_related("calendar"), pk)
    policy.require_add(user, Target)
    return _target_form_page(request, user, agreement, None)


@login_required
def target_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    target = policy.get_for(user, Target.objects.select_related("agreement__calendar"), pk)
    policy.require(user, "change", target)
    return _target_form_page(request, user, target.agreement, target)


# --- calendars --------------------------------------------------------------------------------


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, BusinessCalendar)
    calendars = BusinessCalendar.objects.visible_to(user).annotate(
        agreement_count=Count("agreements")
    )
    context = {"calendars": calendars, "may_add": policy.can_add(user, BusinessCalendar)}
    return render(request, "sla/calendar_list.html", context)


def _calendar_form_page(
    request: HttpRequest, user: Person, calendar: BusinessCalendar | None
) -> HttpResponse:
    form = BusinessCalendarForm(request.POST or None, calendar=calendar)
    if request.method == "POST" and form.is_valid():
        values = form.service_arguments()
        try:
            if calendar is None:
                saved = services.create_calendar(actor=user, **values)
            else:
                saved = services.update_calendar(actor=user, calendar=calendar, **values)
        except RuleViolation as exc:
            if "hours" in exc.message_dict:  # the weekday fields hold the hours
                form.add_error(None, exc.message_dict.pop("hours"))
            if exc.message_dict:
                apply_rule_violation(form, RuleViolation(exc.message_dict))
        else:
            messages.success(request, f"{saved} has been saved.")
            return redirect("sla:calendar_list")
    return render(request, "sla/calendar_form.html", {"form": form, "calendar": calendar})


@login_required
def calendar_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, BusinessCalendar)
    policy.require_add(user, BusinessCalendar)
    return _calendar_form_page(request, user, None)


@login_required
def calendar_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    calendar = policy.get_for(user, BusinessCalendar.objects.all(), pk)
    policy.require(user, "change", calendar)
    return _calendar_form_page(request, user, calendar)


# --- compliance -------------------------------------------------------------------------------


@login_required
def compliance_report(request: HttpRequest) -> HttpResponse:
    """Met and breached clocks per agreement, metric, priority and month; CSV on request."""
    from steward.sla.services import reports

    user = actor_of(request)
    policy.require_model(user, SlaClock)
    today = timezone.localdate()
    initial = {"since": today.replace(day=1), "until": today}
    form = ComplianceForm(request.GET or None, initial=initial)
    rows: list[Any] = []
    breached: list[Any] = []
    if not request.GET or form.is_valid():
        data: dict[str, Any] = form.cleaned_data if request.GET else {**initial, "split": []}
        since, until = reports.day_range(data["since"], data["until"])
        rows = reports.compliance(actor=user, since=since, until=until, split=data["split"])
        breached = reports.breaches(actor=user, since=since, until=until)
        if request.GET.get("format") == "csv":
            response = HttpResponse(reports.as_csv(rows), content_type="text/csv; charset=utf-8")
            name = f"sla-compliance-{data['since']}-{data['until']}.csv"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    totals = {
        "met": sum(r.met for r in rows),
        "breached": sum(r.breached for r in rows),
    }
    total = totals["met"] + totals["breached"]
    totals["percent"] = round(totals["met"] / total * 100) if total else None
    context = {
        "form": form,
        "rows": rows,
        "breached": breached,
        "totals": totals,
        "query": request.GET.urlencode(),
    }
    return render(request, "sla/compliance.html", context)


# --- the ticket page's panel ------------------------------------------------------------------


def panel_context(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """The ticket's clocks, each with its explanation (staff who may see clocks only)."""
    user = request.user
    if not policy.has_model_permission(user, SlaClock, "view"):
        return None
    clocks = services.clocks_for(actor=user, ticket=ticket)
    if not clocks:
        return None
    return {"clocks": [{"clock": c, "explain": services.explain(c)} for c in clocks]}
