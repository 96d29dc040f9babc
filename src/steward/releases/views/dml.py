"""The definitive media library pages: the list, registering an artefact (by metadata or
by uploading its file, whose checksum is computed as it streams in), an artefact's page with
its verification history, editing, approving and retiring, and verifying a file."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Person, actor_of
from steward.core import policy, workflow
from steward.core.errors import Conflict, Forbidden, RuleViolation
from steward.core.paging import CappedPaginator
from steward.releases import forms as f
from steward.releases import services
from steward.releases.choices import ArtefactState, VerificationResult
from steward.releases.filters import DmlArtefactFilterSet
from steward.releases.models import Deployment, DmlArtefact, DmlVerification, Release

PER_PAGE = 50
SHOWN_HISTORY = 50
LIST_FIELDS = (
    "name",
    "artefact_version",
    "checksum",
    "size_bytes",
    "licence",
    "state",
    "registered_at",
    "approved_at",
)


def require_viewer(user: Person) -> None:
    """Library pages exist only for roles that see artefacts (404 for everyone else)."""
    policy.require_model(user, DmlArtefact, "view")


def get_artefact(request: HttpRequest, pk: int) -> DmlArtefact:
    rows = DmlArtefact.objects.select_related("registered_by", "approved_by")
    return policy.get_for(actor_of(request), rows, pk)


@login_required
def artefact_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    filters = DmlArtefactFilterSet(
        request.GET or None, queryset=DmlArtefact.objects.visible_to(user), request=request
    )
    rows = filters.qs.only(*LIST_FIELDS).order_by("name", "-registered_at", "-id")
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filters.form,
        "page": page,
        "may_add": policy.can_add(user, DmlArtefact),
        "may_verify": policy.can_add(user, DmlVerification),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "releases/_artefact_rows.html", context)
    return render(request, "releases/artefact_list.html", context)


@login_required
def artefact_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    require_viewer(user)
    if not policy.can_add(user, DmlArtefact):
        raise Forbidden("Only release managers register artefacts.")
    form = f.ArtefactForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            common = {
                "name": data["name"],
                "artefact_version": data["artefact_version"],
                "location": data["location"],
                "licence": data["licence"],
                "description": data["description"],
            }
            try:
                if data["file"]:
                    artefact = services.register_artefact_from_file(
                        actor=user, content=data["file"].chunks(), **common
                    )
                else:
                    artefact = services.register_artefact(
                        actor=user,
                        checksum=data["checksum"],
                        size_bytes=data["size_bytes"],
                        **common,
                    )
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, f"{artefact} has been registered as a draft.")
                return redirect(artefact)
    return render(request, "releases/artefact_form.html", {"form": form}, status=status)


@login_required
def artefact_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    artefact = get_artefact(request, pk)
    verifications = (
        artefact.verifications.select_related("checked_by")
        .only(
            "checked_at",
            "file_name",
            "checksum",
            "size_bytes",
            "result",
            "artefact_id",
            "checked_by__full_name",
            "checked_by__email",
        )
        .order_by("-checked_at", "-id")[:SHOWN_HISTORY]
    )
    releases = (
        Release.objects.visible_to(user)
        .filter(artefacts=artefact)
        .only("number", "title", "release_version", "state")
        .order_by("-opened_at")[:50]
    )
    deployments = (
        Deployment.objects.visible_to(user)
        .filter(artefacts=artefact)
        .select_related("release")
        .only("environment", "state", "created_at", "release__number")
        .order_by("-created_at", "-id")[:50]
    )
    may_change = policy.can(user, "change", artefact)
    labels = workflow.state_labels()
    context = {
        "artefact": artefact,
        "verifications": verifications,
        "releases": releases,
        "deployments": deployments,
        "state_labels": labels,
        "may_change": may_change and artefact.state != ArtefactState.RETIRED,
        "moves": workflow.allowed_transitions(artefact, user),
        "may_verify": policy.can_add(user, DmlVerification),
        "verify_form": f.VerifyForm(),
        "move_form": f.ArtefactMoveForm(initial={"version": artefact.version}),
    }
    return render(request, "releases/artefact_detail.html", context)


@login_required
def artefact_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    artefact = get_artefact(request, pk)
    policy.require(user, "change", artefact)
    names = ("name", "artefact_version", "checksum", "size_bytes", "location", "licence")
    initial = {name: getattr(artefact, name) for name in names}
    initial.update(description=artefact.description, version=artefact.version)
    form = f.ArtefactEditForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.values()
            changes = {k: v for k, v in values.items() if v != getattr(artefact, k)}
            try:
                services.update_artefact(
                    actor=user,
                    artefact=artefact,
                    expected_version=form.cleaned_data["version"],
                    **changes,
                )
            except Conflict:
                form.add_error(None, f"{artefact} changed meanwhile; reload and try again.")
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, f"{artefact} has been saved.")
                return redirect(artefact)
    context = {"form": form, "artefact": artefact}
    return render(request, "releases/artefact_form.html", context, status=status)


@login_required
@require_POST
def artefact_move(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    """Approve or retire an artefact (release managers)."""
    user = actor_of(request)
    artefact = get_artefact(request, pk)
    form = f.ArtefactMoveForm(request.POST)
    expected = form.cleaned_data["version"] if form.is_valid() else None
    try:
        if to == ArtefactState.APPROVED:
            services.approve_artefact(actor=user, artefact=artefact, expected_version=expected)
        elif to == ArtefactState.RETIRED:
            services.retire_artefact(actor=user, artefact=artefact, expected_version=expected)
        else:
            raise RuleViolation({"state": f"Unknown state {to!r}."})
    except Conflict:
        messages.error(request, f"{artefact} changed meanwhile; nothing was done.")
    except (RuleViolation, Forbidden) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, f"{artefact} is now {ArtefactState(to).label.lower()}.")
    return redirect(artefact)


def _verified(request: HttpRequest, check: DmlVerification) -> None:
    if check.result == VerificationResult.MATCH:
        messages.success(request, f"{check.file_name} matches {check.artefact}.")
    elif check.result == VerificationResult.MISMATCH:
        messages.error(
            request,
            f"{check.file_name} does NOT match {check.artefact}: SHA-256 {check.checksum}, "
            f"{check.size_bytes} bytes.",
        )
    else:
        messages.error(
            request, f"{check.file_name} is not in the library (SHA-256 {check.checksum})."
        )


@login_required
@require_POST
def artefact_verify(request: HttpRequest, pk: int) -> HttpResponse:
    """Verify an uploaded file against this artefact (the check is recorded)."""
    user = actor_of(request)
    artefact = get_artefact(request, pk)
    form = f.VerifyForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose the file to verify.")
        return redirect(artefact)
    upload = form.cleaned_data["file"]
    try:
        check = services.verify_file(
            actor=user, content=upload.chunks(), file_name=upload.name, artefact=artefact
        )
    except Forbidden as exc:
        messages.error(request, str(exc))
    else:
        _verified(request, check)
    return redirect(artefact)


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    """Verify an uploaded file against the library by its checksum (the check is recorded)."""
    user = actor_of(request)
    require_viewer(user)
    if not policy.can_add(user, DmlVerification):
        raise Forbidden("Only release managers verify files against the library.")
    form = f.VerifyForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        check = services.verify_file(actor=user, content=upload.chunks(), file_name=upload.name)
        _verified(request, check)
        if check.artefact is not None:
            return redirect(check.artefact)
        return redirect("releases:verify")
    recent = (
        DmlVerification.objects.visible_to(user)
        .select_related("artefact", "checked_by")
        .order_by("-checked_at", "-id")[:SHOWN_HISTORY]
    )
    return render(request, "releases/verify.html", {"form": form, "recent": recent})
