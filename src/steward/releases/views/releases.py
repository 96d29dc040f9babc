"""The release pages: the list (with each release's deployments per environment as a
matrix), planning and editing, the changes and artefacts it groups, and deployments. A
release's own page is the ticket page with the release panel (``panels.py``). Views parse,
fetch through the policy, call one service and render; a refusal is a form error or a
message, never a 500."""

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
from steward.changes.models import Change
from steward.core import policy, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.core.paging import CappedPaginator
from steward.releases import forms as f
from steward.releases import services
from steward.releases.choices import DeploymentState, Environment
from steward.releases.filters import ReleaseFilterSet
from steward.releases.models import Deployment, Release

PER_PAGE = 50
SHOWN_FILTERS = ("q", "release_state", "release_type", "is_open")
SORTS = {
    "planned": ("planned_start", "opened_at", "id"),
    "-planned": ("-planned_start", "-opened_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "number": ("number",),
}
LIST_FIELDS = (
    "number",
    "title",
    "release_version",
    "release_type",
    "state",
    "state_category",
    "planned_start",
    "planned_end",
    "updated_at",
    "assignee__full_name",
    "assignee__email",
    "service__name",
)


def require_viewer(user: Person) -> None:
    """Release pages exist only for roles that see releases (404 for everyone else)."""
    policy.require_model(user, Release, "view")


def get_release(request: HttpRequest, number: str) -> Release:
    """The release by number, through the policy (404 when unseen or unknown)."""
    release = Release.objects.visible_to(actor_of(request)).filter(number=number).first()
    if release is None:
        raise NotFound("release not found")
    return release


def get_deployment(request: HttpRequest, pk: int) -> Deployment:
    rows = Deployment.objects.select_related("release", "deployed_by")
    return policy.get_for(actor_of(request), rows, pk)


def latest_per_environment(deployments: list[Deployment]) -> dict[int, dict[str, Deployment]]:
    """Per release id, its newest deployment in each environment (rows newest first)."""
    matrix: dict[int, dict[str, Deployment]] = {}
    for row in deployments:
        matrix.setdefault(row.release_id, {}).setdefault(row.environment, row)
    return matrix


def _hide_most(form: forms.Form, shown: tuple[str, ...]) -> None:
    for name, field in form.fields.items():
        if name in shown:
            continue
        many = isinstance(field, forms.MultipleChoiceField)
        field.widget = forms.MultipleHiddenInput() if many else forms.HiddenInput()


@login_required
def release_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    data = request.GET.copy()
    if "is_open" not in data and "state_category" not in data:
        data["is_open"] = "true"
    filters = ReleaseFilterSet(data, queryset=Release.objects.visible_to(user), request=request)
    sort = request.GET.get("sort", "planned")
    rows = (
        filters.qs.select_related("assignee", "service")
        .only(*LIST_FIELDS)
        .order_by(*SORTS.get(sort, SORTS["planned"]))
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    releases = list(page.object_list)
    deployments = list(
        Deployment.objects.visible_to(user)
        .filter(release__in=[r.pk for r in releases])
        .only("release_id", "environment", "state", "created_at")
        .order_by("-created_at", "-id")
    )
    matrix = latest_per_environment(deployments)
    labels = workflow.state_labels()
    for release in releases:
        release.state_label = labels.get(release.state, release.state)
        cells = matrix.get(release.pk, {})
        release.cells = [cells.get(env) for env in Environment.values]
    page.object_list = releases
    _hide_most(filters.form, SHOWN_FILTERS)
    context = {
        "filter_form": filters.form,
        "page": page,
        "sort": sort,
        "environments": Environment.choices,
        "may_add": policy.can_add(user, Release),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "releases/_release_rows.html", context)
    return render(request, "releases/release_list.html", context)


@login_required
def release_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.can_add(user, Release):
        raise Forbidden("Only release managers plan releases.")
    form = f.ReleaseForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            release = services.open_release(actor=user, **form.values())
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{release.number} has been planned.")
            return redirect(release)
    return render(request, "releases/release_form.html", {"form": form, "release": None})


@login_required
def release_edit(request: HttpRequest, number: str) -> HttpResponse:
    user = actor_of(request)
    release = get_release(request, number)
    policy.require(user, "change", release)
    names = ("title", "description", "release_version", "release_type")
    initial: dict[str, Any] = {name: getattr(release, name) for name in names}
    initial.update(
        planned_start=release.planned_start,
        planned_end=release.planned_end,
        service=release.service_id,
        configuration_item=release.configuration_item_id,
        team=release.team_id,
        assignee=release.assignee_id,
        version=release.version,
    )
    form = f.ReleaseForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        changes = {k: v for k, v in values.items() if v != getattr(release, k)}
        try:
            services.update_release(
                actor=user,
                release=release,
                expected_version=form.cleaned_data["version"],
                **changes,
            )
        except Conflict:
            form.add_error(None, f"{release.number} changed meanwhile; reload and try again.")
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{release.number} has been saved.")
            return redirect(release)
    return render(request, "releases/release_form.html", {"form": form, "release": release})


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, Conflict):
        messages.error(request, "It changed meanwhile; nothing was done. Reload and try again.")
    elif isinstance(exc, RuleViolation):
        messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, str(exc) or "You may not do this.")


@login_required
@require_POST
def release_changes(request: HttpRequest, number: str) -> HttpResponse:
    """Replace the changes the release groups (by their numbers)."""
    user = actor_of(request)
    release = get_release(request, number)
    form = f.ReleaseChangesForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for e in form.errors.get("numbers", [])))
        return redirect(release)
    numbers = form.cleaned_data["numbers"]
    found = {c.number: c for c in Change.objects.visible_to(user).filter(number__in=numbers)}
    unknown = [n for n in numbers if n not in found]
    if unknown:
        messages.error(request, f"No change {unknown[0]} that you can see; nothing was done.")
        return redirect(release)
    try:
        services.set_release_changes(
            actor=user,
            release=release,
            changes=[found[n] for n in numbers],
            expected_version=form.cleaned_data["version"],
        )
    except (Conflict, RuleViolation, Forbidden) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"The changes of {release.number} have been saved.")
    return redirect(release)


@login_required
@require_POST
def release_artefacts(request: HttpRequest, number: str) -> HttpResponse:
    """Replace the DML artefacts the release ships."""
    user = actor_of(request)
    release = get_release(request, number)
    form = f.ReleaseArtefactsForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, "Choose artefacts from the list.")
        return redirect(release)
    try:
        services.set_release_artefacts(
            actor=user,
            release=release,
            artefacts=list(form.cleaned_data["artefacts"]),
            expected_version=form.cleaned_data["version"],
        )
    except (Conflict, RuleViolation, Forbidden) as exc:
        _refused(request, exc)
    else:
        messages.success(request, f"The artefacts of {release.number} have been saved.")
    return redirect(release)


@login_required
def deployment_create(request: HttpRequest, number: str) -> HttpResponse:
    """Plan a deployment of the release to an environment."""
    user = actor_of(request)
    release = get_release(request, number)
    policy.require(user, "change", release)
    initial = {"environment": request.GET.get("environment", Environment.DEVELOPMENT)}
    form = f.DeploymentForm(request.POST or None, user=user, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                deployment = services.plan_deployment(
                    actor=user,
                    release=release,
                    environment=data["environment"],
                    artefacts=list(data["artefacts"]) or None,
                    planned_at=data["planned_at"],
                    notes=data["notes"],
                )
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            except Forbidden as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"A deployment of {release.number} to {data['environment']} is planned.",
                )
                return redirect(deployment)
    context = {"form": form, "release": release}
    return render(request, "releases/deployment_form.html", context, status=status)


#: The moves a deployment page offers, by the state they lead to.
MOVE_LABELS = {
    DeploymentState.IN_PROGRESS: "Start",
    DeploymentState.SUCCEEDED: "Succeeded",
    DeploymentState.FAILED: "Failed",
    DeploymentState.ROLLED_BACK: "Roll back",
}


@login_required
def deployment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    deployment = get_deployment(request, pk)
    moves = workflow.allowed_transitions(deployment, user)
    history = (
        AuditEntry.objects.for_object(deployment)
        .select_related("actor")
        .order_by("-created_at", "-id")[:100]
    )
    context = {
        "deployment": deployment,
        "release": deployment.release,
        "artefacts": deployment.artefacts.order_by("name", "artefact_version"),
        "moves": moves,
        "history": history,
        "move_form": f.DeploymentMoveForm(initial={"version": deployment.version}),
    }
    return render(request, "releases/deployment_detail.html", context)


@login_required
@require_POST
def deployment_move(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    deployment = get_deployment(request, pk)
    form = f.DeploymentMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happened to the deployment.")
        return redirect(deployment)
    notes = form.cleaned_data["notes"].strip() or None
    try:
        services.transition_deployment(
            actor=user,
            deployment=deployment,
            to=form.cleaned_data["to"],
            notes=notes,
            expected_version=form.cleaned_data["version"],
        )
    except (Conflict, RuleViolation, Forbidden) as exc:
        _refused(request, exc)
    else:
        label = DeploymentState(form.cleaned_data["to"]).label.lower()
        messages.success(request, f"The deployment is now {label}.")
    return redirect(deployment)
