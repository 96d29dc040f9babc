"""The problem pages: the list, raising and editing, the analysis, the fix, linking
incidents, resolving them together, and the known-error database. Views parse, fetch through
the policy, call one service and render; a refused write is a form error, never a 500."""

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
from steward.incidents.filters import IncidentFilterSet
from steward.incidents.models import Incident
from steward.problems import forms as f
from steward.problems import services
from steward.problems.choices import RcaMethod
from steward.problems.filters import KnownErrorFilterSet, ProblemFilterSet
from steward.problems.models import Problem, suggested_known_errors

PER_PAGE = 50
SHOWN_FILTERS = (
    "q",
    "problem_state",
    "is_open",
    "team",
    "priority",
    "is_known_error",
    "rca_method",
)
SORTS = {
    "priority": ("priority", "opened_at", "id"),
    "age": ("opened_at", "id"),
    "-age": ("-opened_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "number": ("number",),
}
LIST_FIELDS = (
    "number",
    "title",
    "priority",
    "state",
    "state_category",
    "opened_at",
    "updated_at",
    "known_error_at",
    "fix_reference",
    "rca_method",
    "assignee__full_name",
    "assignee__email",
    "team__name",
    "service__name",
    "configuration_item__name",
)


def require_viewer(user: Person) -> None:
    """Problem pages exist only for roles that see problems (404 for everyone else)."""
    policy.require_model(user, Problem, "view")


def get_problem(request: HttpRequest, number: str) -> Problem:
    """The problem by number, through the policy (404 when unseen or unknown)."""
    problem = (
        Problem.objects.visible_to(actor_of(request))
        .select_related("requester", "team", "assignee", "service", "configuration_item")
        .filter(number=number)
        .first()
    )
    if problem is None:
        raise NotFound("problem not found")
    return problem


def _labelled(rows: list[Any]) -> list[Any]:
    labels = workflow.state_labels()
    for row in rows:
        row.state_label = labels.get(row.state, row.state)  # shown in the list
    return rows


def _hide_most(form: forms.Form, shown: tuple[str, ...]) -> None:
    """Keep the filters not shown as hidden inputs (a list keeps each of its values)."""
    for name, field in form.fields.items():
        if name in shown:
            continue
        many = isinstance(field, forms.MultipleChoiceField)
        field.widget = forms.MultipleHiddenInput() if many else forms.HiddenInput()


# --- lists ------------------------------------------------------------------------------------


@login_required
def problem_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    data = request.GET.copy()
    if "is_open" not in data and "state_category" not in data:
        data["is_open"] = "true"
    filters = ProblemFilterSet(data, queryset=Problem.objects.visible_to(user), request=request)
    sort = request.GET.get("sort", "priority")
    rows = (
        filters.qs.select_related("assignee", "team", "service", "configuration_item")
        .only(*LIST_FIELDS)
        .order_by(*SORTS.get(sort, SORTS["priority"]))
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _labelled(list(page.object_list))
    _hide_most(filters.form, SHOWN_FILTERS)
    context = {
        "filter_form": filters.form,
        "page": page,
        "sort": sort,
        "may_add": policy.can_add(user, Problem),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "problems/_problem_rows.html", context)
    return render(request, "problems/problem_list.html", context)


def _id(value: str | None) -> int | None:
    """A chosen option's id from the incident form; anything else is no choice."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 12 else None


@login_required
def known_error_suggest(request: HttpRequest) -> HttpResponse:
    """Known errors like the incident being typed (an htmx fragment): those on its
    configuration item or service, or of its category, first; then by shared words."""
    user = actor_of(request)
    require_viewer(user)
    text = f"{request.GET.get('title', '')} {request.GET.get('description', '')}"[:2000]
    known = suggested_known_errors(
        Problem.objects.visible_to(user),
        text,
        configuration_item=_id(request.GET.get("configuration_item")),
        service=_id(request.GET.get("service")),
        category=_id(request.GET.get("subcategory")) or _id(request.GET.get("category")),
    )
    return render(request, "problems/_known_error_suggestions.html", {"known_errors": known})


@login_required
def known_error_list(request: HttpRequest) -> HttpResponse:
    """The known-error database: what agents search when an incident looks familiar."""
    user = actor_of(request)
    require_viewer(user)
    data = request.GET.copy()
    data.setdefault("is_open", "true")
    filters = KnownErrorFilterSet(
        data, queryset=Problem.objects.visible_to(user).known_errors(), request=request
    )
    rows = (
        filters.qs.select_related("service", "configuration_item")
        .only(
            "number",
            "title",
            "state",
            "state_category",
            "known_error_at",
            "workaround",
            "workaround_uses",
            "fix_reference",
            "service__name",
            "configuration_item__name",
        )
        .order_by("-known_error_at", "-id")
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = _labelled(list(page.object_list))
    _hide_most(filters.form, ("q", "is_open"))
    context = {"filter_form": filters.form, "page": page}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "problems/_known_error_rows.html", context)
    return render(request, "problems/known_error_list.html", context)


# --- raising and editing ----------------------------------------------------------------------


@login_required
def problem_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.can_add(user, Problem):
        raise Forbidden("Only problem managers raise problems.")
    form = f.ProblemForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.open_problem(actor=user, **form.values())
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{problem.number} has been raised.")
            return redirect(problem)
    return render(request, "problems/problem_form.html", {"form": form, "problem": None})


@login_required
def problem_edit(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    problem = get_problem(request, number)
    policy.require(user, "change", problem)
    initial = {
        name: getattr(problem, name) for name in ("title", "description", "impact", "urgency")
    }
    initial.update(
        service=problem.service_id,
        configuration_item=problem.configuration_item_id,
        team=problem.team_id,
        assignee=problem.assignee_id,
        version=problem.version,
    )
    form = f.ProblemForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        changes = {k: v for k, v in values.items() if v != getattr(problem, k)}
        try:
            services.update_problem(
                actor=user,
                problem=problem,
                expected_version=form.cleaned_data["version"],
                **changes,
            )
        except Conflict:
            form.add_error(None, f"{problem.number} changed meanwhile; reload and try again.")
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{problem.number} has been saved.")
            return redirect(problem)
    return render(request, "problems/problem_form.html", {"form": form, "problem": problem})


@login_required
def analysis(request: HttpRequest, number: str) -> HttpResponse:
    """The root-cause analysis form, in the method chosen (``?method=``)."""
    user = actor_of(request)
    problem = get_problem(request, number)
    policy.require(user, "change", problem)
    chosen = request.GET.get("method") or problem.rca_method or RcaMethod.FIVE_WHYS
    if chosen not in RcaMethod.values:
        chosen = RcaMethod.FIVE_WHYS
    method_form = f.MethodForm(initial={"method": chosen})
    initial: dict[str, Any] = {
        "root_cause": problem.root_cause,
        "workaround": problem.workaround,
        "version": problem.version,
    }
    if chosen == problem.rca_method:
        initial.update(f.AnalysisForm.initial_from(chosen, problem.rca_data))
    form = f.AnalysisForm(request.POST or None, method=chosen, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.data_for_service()
        if form.is_valid():
            try:
                services.record_analysis(
                    actor=user,
                    problem=problem,
                    method=chosen,
                    data=data,
                    root_cause=form.cleaned_data["root_cause"],
                    workaround=form.cleaned_data["workaround"],
                    expected_version=form.cleaned_data["version"],
                )
            except Conflict:
                form.add_error(None, f"{problem.number} changed meanwhile; reload and try again.")
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, f"The analysis of {problem.number} has been saved.")
                return redirect(problem)
        status = 400
    context = {
        "problem": problem,
        "form": form,
        "method_form": method_form,
        "method": chosen,
        "method_label": RcaMethod(chosen).label,
    }
    return render(request, "problems/analysis_form.html", context, status=status)


@login_required
@require_POST
def set_fix(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    problem = get_problem(request, number)
    form = f.FixForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the change's number or reference.")
        return redirect(problem)
    try:
        services.set_fix(
            actor=user,
            problem=problem,
            reference=form.cleaned_data["reference"],
            expected_version=form.cleaned_data["version"],
        )
    except Conflict:
        messages.error(request, f"{problem.number} changed meanwhile; nothing was done.")
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The fix of {problem.number} has been recorded.")
    return redirect(problem)


# --- linked incidents -------------------------------------------------------------------------


def incidents_from(user: Person, numbers: list[str], ids: list[int]) -> list[Incident]:
    """The incidents named, through the policy: any the user cannot see is *not found*."""
    return services.get_incidents_for(user, ids=ids, numbers=numbers)


@login_required
def link_incidents(request: HttpRequest, number: str) -> HttpResponse:
    """Find incidents (a search with the incident filters) and link the ticked ones, or
    link incidents by number."""
    user = actor_of(request)
    problem = get_problem(request, number)
    if request.method == "POST":
        form = f.LinkIncidentsForm(request.POST)
        if form.is_valid():
            try:
                chosen = incidents_from(
                    user, form.cleaned_data["numbers"], form.cleaned_data["incident"]
                )
                links = services.link_incidents(actor=user, problem=problem, incidents=chosen)
            except RuleViolation as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, f"{len(links)} incident(s) linked to {problem.number}.")
                return redirect(problem)
        else:
            messages.error(request, " ".join(str(e) for e in form.non_field_errors()))
        return redirect("problems:link_incidents", number=problem.number)
    filters = IncidentFilterSet(
        request.GET or None, queryset=Incident.objects.visible_to(user), request=request
    )
    results: list[Any] = []
    if request.GET.get("q") or request.GET.get("service") or request.GET.get("configuration_item"):
        linked = set(services.linked_incidents(problem).values_list("pk", flat=True))
        rows = filters.qs.select_related("service").only(
            "number", "title", "state", "state_category", "opened_at", "service__name"
        )[:PER_PAGE]
        results = _labelled(list(rows))
        for row in results:
            row.already_linked = row.pk in linked
    _hide_most(filters.form, ("q", "is_open"))
    context = {"problem": problem, "filter_form": filters.form, "results": results}
    return render(request, "problems/link_incidents.html", context)


@login_required
@require_POST
def unlink_incident(request: HttpRequest, number: str, incident_number: str) -> HttpResponse:
    user = actor_of(request)
    problem = get_problem(request, number)
    incidents = incidents_from(user, [incident_number], [])
    try:
        services.unlink_incidents(actor=user, problem=problem, incidents=incidents)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{incident_number} is no longer linked to {problem.number}.")
    return redirect(incidents[0] if request.POST.get("back") == "incident" else problem)


@login_required
@require_POST
def resolve_incidents(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    problem = get_problem(request, number)
    form = f.ResolveIncidentsForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Say how the incidents were resolved.")
        return redirect(problem)
    try:
        outcome = services.resolve_linked_incidents(
            actor=user, problem=problem, **form.cleaned_data
        )
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(problem)
    messages.success(request, f"{len(outcome.resolved)} linked incident(s) resolved.")
    for incident, reason in outcome.refused:
        messages.warning(request, f"{incident.number} was not resolved: {reason}")
    return redirect(problem)


@login_required
@require_POST
def apply_workaround(request: HttpRequest, number: str, incident_number: str) -> HttpResponse:
    """Apply the known error's workaround to an incident (from the incident's page or the
    known-error list)."""
    user = actor_of(request)
    problem = get_problem(request, number)
    incident = incidents_from(user, [incident_number], [])[0]
    try:
        services.apply_workaround(actor=user, problem=problem, incident=incident)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"The workaround of {problem.number} was applied to {incident.number}."
        )
    return redirect(incident)


@login_required
@require_POST
def link_to_problem(request: HttpRequest, incident_number: str) -> HttpResponse:
    """From the incident's page: link it to a problem by the problem's number."""
    user = actor_of(request)
    incident = incidents_from(user, [incident_number], [])[0]
    form = f.LinkProblemForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the problem's number.")
        return redirect(incident)
    problem = get_problem(request, form.cleaned_data["number"].strip().upper())
    try:
        services.link_incidents(actor=user, problem=problem, incidents=[incident])
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{incident.number} is linked to {problem.number}.")
    return redirect(incident)
