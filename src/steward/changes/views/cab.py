"""CAB meetings (the agenda with each change's risk and the services it affects) and the
change management figures of a period."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.changes import forms as f
from steward.changes import impact
from steward.changes.models import CabMeeting, Change
from steward.changes.services import cab, reports
from steward.changes.views.common import form_page, require_viewer
from steward.core import policy, workflow
from steward.core.errors import Forbidden, NotFound, RuleViolation


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    meetings = CabMeeting.objects.select_related("board").order_by("-starts_at")[:200]
    context = {
        "meetings": meetings,
        "may_add": policy.has_model_permission(user, CabMeeting, "add"),
    }
    return render(request, "changes/meeting_list.html", context)


@login_required
def meeting_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.has_model_permission(user, CabMeeting, "add"):
        raise Forbidden("Only change managers plan CAB meetings.")
    form = f.MeetingForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            meeting = cab.create_meeting(actor=user, **form.cleaned_data)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "The meeting has been planned.")
            return redirect(meeting)
    return form_page(
        request, title="New CAB meeting", form=form, cancel=reverse("changes:meeting_list")
    )


def agenda_rows(meeting: CabMeeting, user: Any) -> list[Change]:
    """The agenda's changes the person may see, each with its affected services (one query
    for all of them) and state label: what the agenda page and its slot show."""
    changes = list(
        meeting.agenda.visible_to(user)
        .select_related("assignee", "service")
        .order_by("planned_start", "number")
    )
    services = impact.services_by_change([c.pk for c in changes])
    labels = workflow.state_labels()
    for change in changes:
        change.affected_services = services.get(change.pk, [])  # type: ignore[attr-defined]
        change.state_label = labels.get(change.state, change.state)  # type: ignore[attr-defined]
    return changes


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    meeting = CabMeeting.objects.select_related("board").filter(pk=pk).first()
    if meeting is None:
        raise NotFound("meeting not found")
    may_change = policy.has_model_permission(user, CabMeeting, "change")
    form = None
    if may_change:
        form = f.MeetingForm(
            request.POST or None,
            user=user,
            initial={"agenda": list(meeting.agenda.values_list("pk", flat=True))},
        )
        for name in ("board", "starts_at", "location", "notes"):
            del form.fields[name]
        if request.method == "POST" and form.is_valid():
            try:
                cab.set_agenda(actor=user, meeting=meeting, agenda=form.cleaned_data["agenda"])
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, "The agenda has been saved.")
                return redirect(meeting)
    elif request.method == "POST":
        raise Forbidden("Only change managers set the agenda.")
    context = {"meeting": meeting, "rows": agenda_rows(meeting, user), "form": form}
    return render(request, "changes/meeting_detail.html", context)


@login_required
def report(request: HttpRequest) -> HttpResponse:
    """Change success rate and emergency change ratio of a period."""
    user = actor_of(request)
    require_viewer(user)
    form = f.ReportForm(request.GET or None)
    figures = None
    status = 200
    if request.GET:
        if form.is_valid():
            try:
                figures = reports.change_figures(
                    actor=user, since=form.cleaned_data["since"], until=form.cleaned_data["until"]
                )
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
                status = 400
        else:
            status = 400
    return render(request, "changes/report.html", {"form": form, "figures": figures}, status=status)
