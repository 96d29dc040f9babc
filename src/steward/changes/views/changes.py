"""The change pages: the list, raising (normal, emergency, standard) and editing, the risk
questionnaire, the review, tasks and votes. Views parse, fetch through the policy, call one
service and render; a refused write is a form error or a message, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.changes import forms as f
from steward.changes import services
from steward.changes.filters import ChangeFilterSet
from steward.changes.models import (
    ApprovalRequest,
    Change,
    ChangeTask,
    RiskAnswer,
    RiskAnswerOption,
    RiskQuestion,
)
from steward.changes.services import approvals, risk, tasks
from steward.changes.views.common import form_page, get_change, require_viewer
from steward.core import policy, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.paging import CappedPaginator

PER_PAGE = 50
SHOWN_FILTERS = ("q", "change_state", "change_type", "risk_class", "is_open", "team")
SORTS = {
    "-age": ("-opened_at", "-id"),
    "planned": ("planned_start", "id"),
    "priority": ("priority", "opened_at", "id"),
    "number": ("number",),
}
LIST_FIELDS = (
    "number",
    "title",
    "priority",
    "state",
    "state_category",
    "opened_at",
    "change_type",
    "risk_class",
    "risk_score",
    "planned_start",
    "planned_end",
    "assignee__full_name",
    "assignee__email",
    "team__name",
    "service__name",
)
CONFLICT = "{} changed meanwhile; reload and try again."


def _hide_most(form: forms.Form, shown: tuple[str, ...]) -> None:
    for name, field in form.fields.items():
        if name in shown:
            continue
        many = isinstance(field, forms.MultipleChoiceField)
        field.widget = forms.MultipleHiddenInput() if many else forms.HiddenInput()


@login_required
def change_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    data = request.GET.copy()
    if "is_open" not in data and "state_category" not in data and "change_state" not in data:
        data["is_open"] = "true"
    filters = ChangeFilterSet(data, queryset=Change.objects.visible_to(user), request=request)
    sort = request.GET.get("sort", "-age")
    rows = (
        filters.qs.select_related("assignee", "team", "service")
        .only(*LIST_FIELDS)
        .order_by(*SORTS.get(sort, SORTS["-age"]))
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    labels = workflow.state_labels()
    for row in page.object_list:
        row.state_label = labels.get(row.state, row.state)
    _hide_most(filters.form, SHOWN_FILTERS)
    context = {
        "filter_form": filters.form,
        "page": page,
        "sort": sort,
        "may_add": policy.can_add(user, Change),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "changes/_change_rows.html", context)
    return render(request, "changes/change_list.html", context)


@login_required
def change_detail(request: HttpRequest, number: str) -> HttpResponse:
    """The change's page: its state and steps, and the change panel (also shown on the
    shared ticket page, which has the timeline, comments and links)."""
    from steward.changes.views.panel import change_panel
    from steward.tickets.models import Ticket

    user = actor_of(request)
    require_viewer(user)
    change = get_change(request, number)
    context = {
        "change": change,
        "panel": change_panel(request, change),
        "transitions": workflow.allowed_transitions(change, user),
        "state": workflow.state_of(change),
        "sees_ticket": policy.has_model_permission(user, Ticket, "view"),
    }
    return render(request, "changes/change_detail.html", context)


@login_required
def change_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.can_add(user, Change):
        raise Forbidden("You may not raise changes.")
    form = f.ChangeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        try:
            change = services.open_change(actor=user, **values)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{change.number} has been raised.")
            return redirect(change)
    return form_page(
        request,
        title="New change",
        form=form,
        cancel=reverse("changes:change_list"),
        submit="Raise change",
        intro="Normal changes are assessed and approved by the boards their risk calls for; "
        "emergency changes go to the emergency CAB straight away. For a pre-approved routine "
        "change, raise a standard change from its template.",
    )


@login_required
def standard_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.can_add(user, Change):
        raise Forbidden("You may not raise changes.")
    form = f.StandardChangeForm(
        request.POST or None, user=user, initial={"template": request.GET.get("template")}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.open_standard_change(
                actor=user,
                template=data["template"],
                title=data["title"],
                planned_start=data["planned_start"],
                planned_end=data["planned_end"],
                affected_cis=data["affected_cis"],
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{change.number} is scheduled.")
            return redirect(change)
    return form_page(
        request,
        title="New standard change",
        form=form,
        cancel=reverse("changes:change_list"),
        submit="Raise and schedule",
        intro="A standard change follows an approved template: no CAB, scheduled at once.",
    )


@login_required
def change_edit(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    change = get_change(request, number)
    policy.require(user, "change", change)
    names = (
        "title",
        "description",
        "justification",
        "implementation_plan",
        "backout_plan",
        "test_plan",
        "planned_start",
        "planned_end",
        "impact",
        "urgency",
    )
    initial: dict[str, Any] = {name: getattr(change, name) for name in names}
    initial.update(
        service=change.service_id,
        configuration_item=change.configuration_item_id,
        team=change.team_id,
        assignee=change.assignee_id,
        affected_cis=list(change.affected_cis.values_list("pk", flat=True)),
        version=change.version,
    )
    form = f.ChangeForm(request.POST or None, user=user, editing=True, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        cis = values.pop("affected_cis")
        changed = {k: v for k, v in values.items() if v != initial.get(k, getattr(change, k))}
        for key in ("service", "configuration_item", "team", "assignee"):
            if key in changed and getattr(values[key], "pk", None) == initial[key]:
                del changed[key]
        try:
            services.update_change(
                actor=user,
                change=change,
                expected_version=form.cleaned_data["version"],
                affected_cis=cis,
                **changed,
            )
        except Conflict:
            form.add_error(None, CONFLICT.format(change.number))
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{change.number} has been saved.")
            return redirect(change)
    return form_page(
        request,
        title=f"Edit {change.number}",
        form=form,
        cancel=change.get_absolute_url(),
        intro="Editing a plan or the window makes a new revision of the plan: approvals "
        "given to the old one no longer count.",
    )


@login_required
def risk_assessment(request: HttpRequest, number: str) -> HttpResponse:
    """The risk questionnaire of a change."""
    user = actor_of(request)
    change = get_change(request, number)
    policy.require(user, "change", change)
    questions = list(
        RiskQuestion.objects.filter(is_active=True)
        .prefetch_related(
            Prefetch("options", queryset=RiskAnswerOption.objects.order_by("position", "id"))
        )
        .order_by("position", "id")
    )
    chosen = dict(RiskAnswer.objects.filter(change=change).values_list("question_id", "option_id"))
    initial = {f"q{q}": o for q, o in chosen.items()}
    form = f.RiskForm(request.POST or None, questions=questions, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            _, result = risk.assess_risk(actor=user, change=change, answers=form.answers())
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(
                request, f"{change.number}: risk {result.risk_class} (score {result.score})."
            )
            return redirect(change)
    if not questions:
        messages.info(request, "No risk questions are set up: the score is impact and history.")
    return form_page(
        request,
        title=f"Risk assessment of {change.number}",
        form=form,
        cancel=change.get_absolute_url(),
        submit="Assess risk",
    )


@login_required
def review(request: HttpRequest, number: str) -> HttpResponse:
    """The post-implementation review."""
    user = actor_of(request)
    change = get_change(request, number)
    policy.require(user, "change", change)
    form = f.ReviewForm(
        request.POST or None,
        initial={
            "outcome": change.outcome,
            "review_notes": change.review_notes,
            "version": change.version,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_review(
                actor=user,
                change=change,
                outcome=form.cleaned_data["outcome"],
                review_notes=form.cleaned_data["review_notes"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            form.add_error(None, CONFLICT.format(change.number))
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"The review of {change.number} has been saved.")
            return redirect(change)
    return form_page(
        request,
        title=f"Review of {change.number}",
        form=form,
        cancel=change.get_absolute_url(),
        intro="The post-implementation review: how it went and what was learnt. An "
        "emergency change needs it (with notes) before it closes.",
    )


@login_required
def task_add(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    change = get_change(request, number)
    policy.require(user, "change", change)
    form = f.TaskForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            tasks.add_task(actor=user, change=change, **form.cleaned_data)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "The task has been added.")
            return redirect(f"{change.get_absolute_url()}#change-tasks")
    return form_page(
        request, title=f"New task of {change.number}", form=form, cancel=change.get_absolute_url()
    )


@login_required
@require_POST
def task_update(request: HttpRequest, number: str, task_id: int) -> HttpResponse:
    """A task's state (and place in the list), from the change page."""
    user = actor_of(request)
    change = get_change(request, number)
    task = ChangeTask.objects.filter(change=change, pk=task_id).first()
    if task is None:
        raise NotFound("task not found")
    form = f.TaskStateForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a state.")
        return redirect(f"{change.get_absolute_url()}#change-tasks")
    values: dict[str, Any] = {"state": form.cleaned_data["state"]}
    if form.cleaned_data.get("position"):
        values["position"] = form.cleaned_data["position"]
    try:
        tasks.update_task(actor=user, task=task, **values)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(f"{change.get_absolute_url()}#change-tasks")


@login_required
@require_POST
def vote(request: HttpRequest, number: str, request_id: int) -> HttpResponse:
    """Approve or reject for a board (as an approver, or for one you stand in for)."""
    user = actor_of(request)
    change = get_change(request, number)
    approval = ApprovalRequest.objects.filter(change=change, pk=request_id).first()
    if approval is None:
        raise NotFound("approval not found")
    form = f.VoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Approve or reject, on the current revision.")
        return redirect(f"{change.get_absolute_url()}#change-approvals")
    data = form.cleaned_data
    try:
        approvals.vote(
            actor=user,
            request=approval,
            decision=data["decision"],
            comment=data["comment"],
            on_behalf_of=data["on_behalf_of"],
            revision=data["revision"],
        )
    except (RuleViolation, Forbidden) as exc:
        text = " ".join(exc.messages) if isinstance(exc, RuleViolation) else str(exc)
        messages.error(request, f"Your vote was not recorded: {text}")
    else:
        messages.success(request, f"Your vote on {change.number} has been recorded.")
    return redirect(f"{change.get_absolute_url()}#change-approvals")
