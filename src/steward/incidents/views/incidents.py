"""The incident list, opening an incident at the desk, and the incident panel of the ticket
page (reassign, escalate, the major-incident section). Views parse, fetch through the
policy, call one service and render; a refused write is a form error, never a 500."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Person, actor_of
from steward.core import policy, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.paging import CappedPaginator
from steward.incidents import forms as f
from steward.incidents import services
from steward.incidents.filters import IncidentFilterSet
from steward.incidents.models import Incident, MajorIncidentUpdate, PostIncidentReview
from steward.incidents.services import major
from steward.tickets import services as ticket_services
from steward.tickets.views import ticket as ticket_views

PER_PAGE = 50
HIDDEN_FILTERS = (
    "kind",
    "queue",
    "state",
    "assignee",
    "requester",
    "organisation",
    "service",
    "configuration_item",
    "subcategory",
    "opened_after",
    "opened_before",
    "hold_reason",
    "resolution_code",
    "contact_type",
    "reopened",
    "q",
)
SORTS = {
    "priority": ("priority", "opened_at", "id"),
    "age": ("opened_at", "id"),
    "-age": ("-opened_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "number": ("number",),
}


def get_incident(request: HttpRequest, number: str) -> Incident:
    """The incident by number, through the policy (404 when unseen or unknown)."""
    incident = (
        Incident.objects.visible_to(actor_of(request))
        .select_related("requester", "team", "assignee", "major_manager", "category")
        .filter(number=number)
        .first()
    )
    if incident is None:
        raise NotFound("incident not found")
    return incident


def _require_staff(user: Person) -> None:
    policy.require_model(user, Incident, "change")


# --- lists ------------------------------------------------------------------------------------


def _listing(request: HttpRequest, *, major_only: bool = False) -> HttpResponse:
    user = actor_of(request)
    _require_staff(user)
    data = request.GET.copy()
    if "is_open" not in data and "state_category" not in data:
        data["is_open"] = "true"
    if major_only:
        data["is_major"] = "true"
    filters = IncidentFilterSet(data, queryset=Incident.objects.visible_to(user), request=request)
    sort = request.GET.get("sort", "priority")
    rows = (
        filters.qs.select_related("requester", "assignee", "team", "category", "service")
        .only(
            "number",
            "title",
            "priority",
            "state",
            "state_category",
            "opened_at",
            "updated_at",
            "is_major",
            "requester__full_name",
            "requester__email",
            "assignee__full_name",
            "assignee__email",
            "team__name",
            "category__name",
            "service__name",
        )
        .order_by(*SORTS.get(sort, SORTS["priority"]))
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    labels = workflow.state_labels()
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.state_label = labels.get(row.state, row.state)
    for name in HIDDEN_FILTERS:
        if name in filters.form.fields:
            filters.form.fields[name].widget = forms.HiddenInput()
    if major_only:
        filters.form.fields["is_major"].widget = forms.HiddenInput()
    context = {
        "filter_form": filters.form,
        "page": page,
        "sort": sort,
        "major_only": major_only,
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "incidents/_incident_rows.html", context)
    return render(request, "incidents/incident_list.html", context)


@login_required
def incident_list(request: HttpRequest) -> HttpResponse:
    return _listing(request)


@login_required
def major_list(request: HttpRequest) -> HttpResponse:
    return _listing(request, major_only=True)


# --- opening ----------------------------------------------------------------------------------


@login_required
def incident_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_staff(user)
    form = f.IncidentForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.open_incident(actor=user, **form.values())
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{incident.number} has been opened.")
            return redirect(incident)
    impact = form["impact"].value() or 3
    urgency = form["urgency"].value() or 3
    return render(
        request,
        "incidents/incident_form.html",
        {"form": form, "priority": _priority_label(impact, urgency)},
    )


def _priority_label(impact: Any, urgency: Any) -> str:
    from steward.tickets.choices import Priority

    try:
        value = ticket_services.priority_for(int(impact), int(urgency))
    except (TypeError, ValueError, KeyError):
        return "—"
    return str(Priority(value).label)


@login_required
def subcategory_options(request: HttpRequest) -> HttpResponse:
    """The subcategory select for the chosen category (htmx swaps it in)."""
    user = actor_of(request)
    _require_staff(user)
    form = f.IncidentForm(
        {"category": request.GET.get("category", "")} if request.GET.get("category") else None,
        user=user,
    )
    return render(request, "incidents/_subcategory_field.html", {"field": form["subcategory"]})


@login_required
def priority_preview(request: HttpRequest) -> HttpResponse:
    """The priority impact x urgency gives (htmx shows it while the form is filled in)."""
    _require_staff(actor_of(request))
    label = _priority_label(request.GET.get("impact"), request.GET.get("urgency"))
    return render(request, "incidents/_priority.html", {"priority": label})


# --- the incident panel on the ticket page ----------------------------------------------------


def panel_context(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """What the incident panel shows: for staff only (requesters read customers updates as
    replies in the timeline)."""
    user = actor_of(request)
    if not policy.has_model_permission(user, Incident, "change"):
        return None
    incident: Incident = ticket
    bound: dict[str, Any] = getattr(request, "incident_forms", {})
    may_change = policy.can(user, "change", incident)
    may_declare = may_change and major.may_declare(user)
    children = (
        Incident.objects.visible_to(user)
        .filter(links_in__source=incident, links_in__link_type="parent_of")
        .select_related("assignee", "team")
        .order_by("pk")
    )
    labels = workflow.state_labels()
    child_rows = [(child, labels.get(child.state, child.state)) for child in children]
    parent = (
        Incident.objects.visible_to(user)
        .filter(links_out__target=incident, links_out__link_type="parent_of")
        .first()
    )
    review = PostIncidentReview.objects.visible_to(user).filter(incident=incident).first()
    actions = list(review.actions.select_related("owner")) if review is not None else []
    review_initial = (
        {name: getattr(review, name) for name in major.REVIEW_FIELDS} if review else None
    )
    return {
        "incident": incident,
        "may_change": may_change,
        "may_declare": may_declare,
        "parent": parent,
        "children": child_rows,
        "updates": MajorIncidentUpdate.objects.visible_to(user)
        .filter(incident=incident)
        .select_related("author"),
        "review": review,
        "review_actions": actions,
        "reassign_form": bound.get("reassign_form")
        or f.ReassignForm(
            user=user,
            initial={
                "team": incident.team_id,
                "assignee": incident.assignee_id,
                "version": incident.version,
            },
        ),
        "declare_form": bound.get("declare_form")
        or f.DeclareMajorForm(user=user, initial={"manager": user.pk}),
        "stand_down_form": bound.get("stand_down_form") or f.StandDownForm(),
        "update_form": bound.get("update_form") or f.MajorUpdateForm(),
        "children_form": bound.get("children_form") or f.ChildrenForm(),
        "review_form": bound.get("review_form") or f.ReviewForm(initial=review_initial),
        "action_form": bound.get("action_form") or f.ReviewActionForm(user=user),
    }


def rerender(request: HttpRequest, incident: Incident, **bound: Any) -> HttpResponse:
    """The ticket page again, with the panel's bound form and its errors (400)."""
    request.incident_forms = bound  # type: ignore[attr-defined]
    return ticket_views.render_ticket(request, incident, status=400)


@login_required
@require_POST
def reassign(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    form = f.ReassignForm(request.POST, user=user)
    if form.is_valid():
        try:
            services.reassign(
                actor=user,
                incident=incident,
                team=form.cleaned_data["team"],
                assignee=form.cleaned_data["assignee"],
                expected_version=form.cleaned_data["version"],
            )
        except Conflict:
            messages.error(request, f"{incident.number} changed meanwhile; nothing was done.")
            return redirect(incident)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{incident.number} has been reassigned.")
            return redirect(incident)
    return rerender(request, incident, reassign_form=form)


@login_required
@require_POST
def escalate(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    incident = get_incident(request, number)
    try:
        incident = services.escalate(actor=user, incident=incident)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{incident.number} went to {incident.team}.")
    return redirect(incident)
