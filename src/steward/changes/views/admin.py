"""Setting change management up: standard-change templates, the risk questionnaire and its
thresholds, approval boards and delegations. Change managers (and administrators) write;
agents read templates; each person manages their own delegations."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.changes import forms as f
from steward.changes.models import ApprovalBoard, ChangeTemplate, Delegation, RiskQuestion
from steward.changes.services import approvals, risk, templates
from steward.changes.views.common import form_page, require_viewer
from steward.core import policy
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation

TEMPLATE_INITIAL = (
    "name",
    "description",
    "title",
    "change_description",
    "justification",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "is_active",
)


def _get(model: Any, pk: int) -> Any:
    found = model.objects.filter(pk=pk).first()
    if found is None:
        raise NotFound("not found")
    return found


# --- templates --------------------------------------------------------------------------------


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    rows = ChangeTemplate.objects.select_related("approved_by", "service").order_by("name")
    context = {
        "templates": rows,
        "may_add": policy.has_model_permission(user, ChangeTemplate, "add"),
    }
    return render(request, "changes/template_list.html", context)


@login_required
def template_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.has_model_permission(user, ChangeTemplate, "add"):
        raise Forbidden("Only change managers write templates.")
    form = f.TemplateForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            template = templates.create_template(actor=user, **form.values())
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"Template “{template.name}” saved; approve it to use it.")
            return redirect(template)
    return form_page(
        request,
        title="New standard-change template",
        form=form,
        cancel=reverse("changes:template_list"),
    )


@login_required
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A template: read by all who see changes, edited and approved by change managers."""
    user = actor_of(request)
    require_viewer(user)
    template = _get(ChangeTemplate, pk)
    may_change = policy.has_model_permission(user, ChangeTemplate, "change")
    form = None
    if may_change:
        initial: dict[str, Any] = {n: getattr(template, n) for n in TEMPLATE_INITIAL}
        initial.update(
            service=template.service_id,
            team=template.team_id,
            tasks=f.TemplateForm.tasks_text(template.tasks or []),
            version=template.version,
        )
        form = f.TemplateForm(request.POST or None, user=user, initial=initial)
        if request.method == "POST" and form.is_valid():
            values = form.values()
            try:
                templates.update_template(
                    actor=user,
                    template=template,
                    expected_version=form.cleaned_data["version"],
                    **values,
                )
            except Conflict:
                form.add_error(None, "The template changed meanwhile; reload and try again.")
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, "The template has been saved.")
                return redirect(template)
    elif request.method == "POST":
        raise Forbidden("Only change managers edit templates.")
    status = 400 if form is not None and form.errors else 200
    context = {"template": template, "form": form, "may_change": may_change}
    return render(request, "changes/template_detail.html", context, status=status)


@login_required
@require_POST
def template_approve(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    template = _get(ChangeTemplate, pk)
    approve = request.POST.get("approved", "true") == "true"
    try:
        templates.approve_template(actor=user, template=template, approved=approve)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Approved." if approve else "Approval withdrawn.")
    return redirect(template)


# --- the risk questionnaire -------------------------------------------------------------------


def _require_manager(user: Any) -> None:
    require_viewer(user)
    if not policy.has_model_permission(user, RiskQuestion, "change"):
        raise Forbidden("Only change managers set up the risk assessment.")


@login_required
def question_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_manager(user)
    questions = RiskQuestion.objects.prefetch_related("options").order_by("position", "id")
    settings = risk.risk_settings()
    form = f.RiskSettingsForm(
        request.POST or None, initial=f.RiskSettingsForm.initial_from(settings)
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                risk.set_risk_settings(actor=user, **form.values())
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, "The risk thresholds have been saved.")
                return redirect("changes:question_list")
        status = 400
    context = {"questions": questions, "settings_form": form}
    return render(request, "changes/question_list.html", context, status=status)


@login_required
def question_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = actor_of(request)
    _require_manager(user)
    question = _get(RiskQuestion, pk) if pk is not None else None
    initial: dict[str, Any] = {}
    if question is not None:
        initial = {
            "text": question.text,
            "help_text": question.help_text,
            "position": question.position,
            "is_active": question.is_active,
            "options": "\n".join(
                f"{o.label} | {o.points}" for o in question.options.order_by("position", "id")
            ),
        }
    form = f.QuestionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            risk.save_question(actor=user, question=question, **form.cleaned_data)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "The question has been saved.")
            return redirect("changes:question_list")
    return form_page(
        request,
        title="Edit risk question" if question else "New risk question",
        form=form,
        cancel=reverse("changes:question_list"),
    )


# --- boards and delegations -------------------------------------------------------------------


@login_required
def board_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    boards = ApprovalBoard.objects.prefetch_related("members").order_by("name")
    context = {
        "boards": boards,
        "may_change": policy.has_model_permission(user, ApprovalBoard, "change"),
        "delegations": Delegation.objects.filter(person=user)
        .select_related("delegate")
        .order_by("-starts_at"),
        "now": timezone.now(),
    }
    return render(request, "changes/board_list.html", context)


@login_required
def board_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.has_model_permission(user, ApprovalBoard, "change" if pk else "add"):
        raise Forbidden("Only change managers set up approval boards.")
    board = _get(ApprovalBoard, pk) if pk is not None else None
    initial: dict[str, Any] = {}
    if board is not None:
        initial = {
            "name": board.name,
            "kind": board.kind,
            "rule": board.rule,
            "quorum": board.quorum,
            "paths": board.paths,
            "is_active": board.is_active,
            "members": list(board.members.values_list("pk", flat=True)),
        }
    form = f.BoardForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        members = list(values.pop("members"))
        try:
            if board is None:
                approvals.create_board(actor=user, members=members, **values)
            else:
                approvals.update_board(actor=user, board=board, members=members, **values)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "The board has been saved.")
            return redirect("changes:board_list")
    return form_page(
        request,
        title=f"Edit {board.name}" if board else "New approval board",
        form=form,
        cancel=reverse("changes:board_list"),
    )


@login_required
def delegation_create(request: HttpRequest) -> HttpResponse:
    """Hand your votes to a delegate for a period (or while you are marked away)."""
    user = actor_of(request)
    require_viewer(user)
    form = f.DelegationForm(request.POST or None, user=user, initial={"starts_at": timezone.now()})
    if request.method == "POST" and form.is_valid():
        try:
            approvals.add_delegation(
                actor=user,
                person=user,
                delegate=form.cleaned_data["delegate"],
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, "Your delegate may now vote for you.")
            return redirect("changes:board_list")
    return form_page(
        request, title="Delegate my votes", form=form, cancel=reverse("changes:board_list")
    )


@login_required
@require_POST
def delegation_end(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    delegation = Delegation.objects.filter(pk=pk, person=user).first()
    if delegation is None:
        raise NotFound("delegation not found")
    try:
        approvals.end_delegation(actor=user, delegation=delegation)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("changes:board_list")
