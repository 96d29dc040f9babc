"""The schedule pages: maintenance and blackout windows, the conflict policy, a change's
conflicts (an htmx fragment on the change page, and the override form), the change
calendar (month and week, htmx navigation) and its iCalendar feed.

Views parse, fetch through the policy, call one service and render; a refused write is a
form error, never a 500. Pages exist only for people who see changes (404 otherwise).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.changes import calendar, conflicts
from steward.changes.models import Change
from steward.changes.models_schedule import BlackoutWindow, MaintenanceWindow, SchedulePolicy
from steward.changes.schedule import forms as f
from steward.changes.schedule import services
from steward.changes.schedule.filters import BlackoutWindowFilterSet, MaintenanceWindowFilterSet
from steward.core import conf, policy
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.core.paging import CappedPaginator

PER_PAGE = 50


def _require_viewer(user: Any) -> None:
    policy.require_model(user, Change, "view")


# --- maintenance windows -----------------------------------------------------------------


@login_required
def window_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    filters = MaintenanceWindowFilterSet(
        request.GET, queryset=MaintenanceWindow.objects.visible_to(user)
    )
    rows = filters.qs.select_related("configuration_item").order_by(
        "configuration_item__name", "id"
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "changes/schedule/window_list.html",
        {
            "page": page,
            "filter_form": filters.form,
            "may_add": policy.can_add(user, MaintenanceWindow),
        },
    )


def _window_values(form: f.MaintenanceWindowForm) -> dict[str, Any]:
    return dict(form.cleaned_data)


@login_required
def window_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    policy.require_add(user, MaintenanceWindow)
    form = f.MaintenanceWindowForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            window = services.create_maintenance_window(actor=user, **_window_values(form))
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"Maintenance window “{window.name}” added.")
            return redirect("change_schedule:window_list")
    return render(request, "changes/schedule/window_form.html", {"form": form, "window": None})


@login_required
def window_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    window = policy.get_for(user, MaintenanceWindow.objects.all(), pk, "change")
    form = f.MaintenanceWindowForm(request.POST or None, user=user, window=window)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_maintenance_window(actor=user, window=window, **_window_values(form))
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "Maintenance window saved.")
            return redirect("change_schedule:window_list")
    return render(request, "changes/schedule/window_form.html", {"form": form, "window": window})


@login_required
@require_POST
def window_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    window = policy.get_for(user, MaintenanceWindow.objects.all(), pk, "delete")
    services.delete_maintenance_window(actor=user, window=window)
    messages.success(request, "Maintenance window removed.")
    return redirect("change_schedule:window_list")


# --- blackouts ---------------------------------------------------------------------------


@login_required
def blackout_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    filters = BlackoutWindowFilterSet(request.GET, queryset=BlackoutWindow.objects.visible_to(user))
    rows = filters.qs.select_related("service").order_by("-starts_at", "-id")
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "changes/schedule/blackout_list.html",
        {
            "page": page,
            "filter_form": filters.form,
            "may_add": policy.can_add(user, BlackoutWindow),
        },
    )


@login_required
def blackout_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    policy.require_add(user, BlackoutWindow)
    form = f.BlackoutWindowForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            blackout = services.create_blackout(actor=user, **form.cleaned_data)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"Blackout “{blackout.name}” declared.")
            return redirect("change_schedule:blackout_list")
    return render(request, "changes/schedule/blackout_form.html", {"form": form, "blackout": None})


@login_required
def blackout_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    blackout = policy.get_for(user, BlackoutWindow.objects.all(), pk, "change")
    form = f.BlackoutWindowForm(request.POST or None, user=user, blackout=blackout)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_blackout(actor=user, blackout=blackout, **form.cleaned_data)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "Blackout saved.")
            return redirect("change_schedule:blackout_list")
    return render(
        request, "changes/schedule/blackout_form.html", {"form": form, "blackout": blackout}
    )


@login_required
@require_POST
def blackout_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    blackout = policy.get_for(user, BlackoutWindow.objects.all(), pk, "delete")
    services.delete_blackout(actor=user, blackout=blackout)
    messages.success(request, "Blackout removed.")
    return redirect("change_schedule:blackout_list")


# --- the policy --------------------------------------------------------------------------


@login_required
def policy_edit(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_viewer(user)
    current = conflicts.current_policy()
    may_change = policy.has_model_permission(user, SchedulePolicy, "change")
    initial = {name: getattr(current, name) for name in services.POLICY_FIELDS}
    form = f.SchedulePolicyForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_change:
            raise Forbidden("You may not change the schedule policy.")
        if form.is_valid():
            try:
                services.update_schedule_policy(actor=user, **form.cleaned_data)
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, "Schedule policy saved.")
                return redirect("change_schedule:policy")
    return render(
        request, "changes/schedule/policy_form.html", {"form": form, "may_change": may_change}
    )


# --- a change's conflicts ----------------------------------------------------------------


def _change(user: Any, number: str) -> Change:
    change = Change.objects.visible_to(user).filter(number=number).first()
    if change is None:
        raise NotFound("change not found")
    return change


@login_required
def change_conflicts(request: HttpRequest, number: str) -> HttpResponse:
    """The "check schedule" fragment (GET), and the override of blocking conflicts (POST)."""
    user = actor_of(request)
    change = _change(user, number)
    initial = {"planned_start": change.planned_start, "planned_end": change.planned_end}
    form = f.OverrideForm(request.POST or None, initial=initial)
    found: list[conflicts.ScheduleConflict] | None = None
    start, end = change.planned_start, change.planned_end
    if request.method == "POST":
        if not policy.can(user, "change", change) or not conflicts.may_override(user):
            raise Forbidden("You may not override schedule conflicts.")
        if form.is_valid():
            start, end = form.cleaned_data["planned_start"], form.cleaned_data["planned_end"]
            try:
                found = conflicts.check_schedule(
                    actor=user,
                    change=change,
                    start=start,
                    end=end,
                    override_reason=form.cleaned_data["reason"],
                )
            except RuleViolation as exc:
                apply_rule_violation(form, exc, _override_field)
    elif start is not None and end is not None:
        try:
            found = conflicts.evaluate(change, start, end)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
    context = {
        "change": change,
        "conflicts": found,
        "blocking": [c for c in found or [] if c.blocks],
        "form": form,
        "may_override": policy.can(user, "change", change) and conflicts.may_override(user),
        "start": start,
        "end": end,
    }
    return render(request, "changes/schedule/_conflicts.html", context)


def _override_field(name: str) -> str:
    return "reason" if name == "override_reason" else name


# --- the calendar ------------------------------------------------------------------------


def _day(value: str | None) -> date:
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


@login_required
@require_GET
def calendar_view(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    calendar.require_viewer(user)
    form = f.CalendarFilterForm(request.GET or None, user=user)
    chosen = calendar.CalendarFilter()
    if form.is_valid():
        data = form.cleaned_data
        chosen = calendar.CalendarFilter(
            service=data.get("service"),
            team=data.get("team"),
            change_type=data.get("change_type") or None,
        )
    day = _day(request.GET.get("date"))
    mode = "week" if request.GET.get("mode") == "week" else "month"
    if mode == "week":
        view = calendar.week_view(user, day, chosen)
    else:
        view = calendar.month_view(user, day.year, day.month, chosen)
    query = request.GET.copy()
    query.pop("date", None)
    query.pop("mode", None)
    context = {
        "view": view,
        "filter_form": form,
        "filter_query": query.urlencode(),
        "today": timezone.localdate(),
        "may_manage": policy.can_add(user, BlackoutWindow),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "changes/schedule/_calendar.html", context)
    return render(request, "changes/schedule/calendar.html", context)


@login_required
def calendar_feed_settings(request: HttpRequest) -> HttpResponse:
    """Your feed URL (GET), or a new one replacing it (POST)."""
    user = actor_of(request)
    calendar.require_viewer(user)
    if request.method == "POST":
        token = services.reset_feed_token(actor=user)
        messages.success(request, "A new feed URL was made; the old one no longer works.")
    else:
        token = services.feed_token(user)
    url = str(conf.get("PUBLIC_URL")).rstrip("/") + reverse(
        "change_schedule:calendar_feed", args=[token]
    )
    return render(request, "changes/schedule/feed.html", {"feed_url": url})


@require_GET
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The iCalendar feed: the token in the URL is the sign-in (calendar clients have no
    other); a bad, reset or inactive person's token is a 404."""
    person = services.person_for_feed_token(token)
    if person is None:
        raise NotFound("calendar feed not found")
    body = calendar.feed(person)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="changes.ics"'
    response["Cache-Control"] = "private, max-age=300"
    return response
