"""The major-incident section of the incident page: declare, stand down, the communication
log, child incidents and the post-incident review. Each view calls one service."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.incidents import forms as f
from steward.incidents.choices import ReviewStatus
from steward.incidents.models import Incident, PostIncidentReview, ReviewAction
from steward.incidents.services import major
from steward.incidents.views.incidents import get_incident, rerender


def _back(incident: Incident, anchor: str = "major") -> HttpResponse:
    return redirect(f"{incident.get_absolute_url()}#{anchor}")


def _submit(
    request: HttpRequest,
    incident: Incident,
    form: forms.Form,
    *,
    form_name: str,
    act: Callable[[dict[str, Any]], str],
    anchor: str = "major",
) -> HttpResponse:
    """Validate ``form`` and let ``act`` call the service with its data: its message and back
    to the page's section, or the page again with the form's errors (a refusal included)."""
    if form.is_valid():
        try:
            message = act(form.cleaned_data)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            if message:
                messages.success(request, message)
            return _back(incident, anchor)
    return rerender(request, incident, **{form_name: form})


@login_required
@require_POST
def declare(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    if not major.may_declare(user):
        raise Forbidden("Only incident managers may declare major incidents.")

    def act(data: dict[str, Any]) -> str:
        major.declare_major(
            actor=user, incident=incident, manager=data["manager"], reason=data["reason"]
        )
        return f"{incident.number} is now a major incident."

    form = f.DeclareMajorForm(request.POST, user=user)
    return _submit(request, incident, form, form_name="declare_form", act=act)


@login_required
@require_POST
def stand_down(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    if not major.may_declare(user):
        raise Forbidden("Only incident managers may stand down major incidents.")

    def act(data: dict[str, Any]) -> str:
        major.stand_down_major(actor=user, incident=incident, reason=data["reason"])
        return f"{incident.number} is no longer a major incident."

    form = f.StandDownForm(request.POST)
    return _submit(request, incident, form, form_name="stand_down_form", act=act)


@login_required
@require_POST
def post_update(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)

    def act(data: dict[str, Any]) -> str:
        major.post_update(actor=user, incident=incident, **data)
        return "The update is posted."

    form = f.MajorUpdateForm(request.POST)
    return _submit(
        request, incident, form, form_name="update_form", act=act, anchor="major-updates"
    )


@login_required
@require_POST
def attach_children(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    form = f.ChildrenForm(request.POST)
    if form.is_valid():
        numbers = form.cleaned_data["numbers"]
        found = {
            child.number: child
            for child in Incident.objects.visible_to(user).filter(number__in=numbers)
        }
        unknown = [n for n in numbers if n not in found]
        if unknown:
            form.add_error("numbers", f"No incident that you can see: {', '.join(unknown)}.")
        else:
            try:
                major.attach_children(
                    actor=user, parent=incident, children=[found[n] for n in numbers]
                )
            except RuleViolation as exc:
                form.add_error("numbers", exc.messages)
            else:
                messages.success(request, f"{len(numbers)} incident(s) attached.")
                return _back(incident, "children")
    return rerender(request, incident, children_form=form)


@login_required
@require_POST
def review_save(request: HttpRequest, number: str) -> HttpResponse:
    """Start the review, or save its texts."""
    user = actor_of(request)
    incident = get_incident(request, number)

    def act(data: dict[str, Any]) -> str:
        review = PostIncidentReview.objects.visible_to(user).filter(incident=incident).first()
        if review is None:
            major.start_review(actor=user, incident=incident, **data)
        else:
            major.update_review(actor=user, review=review, **data)
        return "The review is saved."

    form = f.ReviewForm(request.POST)
    return _submit(request, incident, form, form_name="review_form", act=act, anchor="review")


@login_required
@require_POST
def review_move(request: HttpRequest, number: str, to: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    review = PostIncidentReview.objects.visible_to(user).filter(incident=incident).first()
    if review is None:
        raise NotFound("review not found")
    try:
        major.move_review(actor=user, review=review, to=to)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        label = ReviewStatus(to).label.lower()
        messages.success(request, f"The review is {label}.")
    return _back(incident, "review")


@login_required
@require_POST
def review_action_add(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    review = PostIncidentReview.objects.visible_to(user).filter(incident=incident).first()
    form = f.ReviewActionForm(request.POST, user=user)
    if review is None:
        form.add_error(None, "Start the review first.")
        return rerender(request, incident, action_form=form)

    def act(data: dict[str, Any]) -> str:
        major.add_review_action(actor=user, review=review, **data)
        return ""

    return _submit(request, incident, form, form_name="action_form", act=act, anchor="review")


@login_required
@require_POST
def review_action_done(request: HttpRequest, number: str, pk: int) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    action = policy.get_for(user, ReviewAction.objects.filter(review__incident=incident), pk)
    done = request.POST.get("done", "on") == "on"
    major.update_review_action(actor=user, action=action, is_done=done)
    return _back(incident, "review")
