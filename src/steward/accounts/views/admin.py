"""Administration pages: people, organisations, teams and roles.

Views authenticate, parse, fetch through the policy, call one service per write and render.
What someone may not see answers 404; what they see but may not change shows no buttons,
and a write to it answers 403 (``Forbidden``, from the policy or the service).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts import admin_forms as f
from steward.accounts import services
from steward.accounts.filters import OrganisationFilterSet, PersonFilterSet, TeamFilterSet
from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import (
    ApiToken,
    Organisation,
    Person,
    Role,
    Team,
    TeamMembership,
    actor_of,
)
from steward.core import policy
from steward.core.errors import RuleViolation
from steward.core.models import AuditEntry

PER_PAGE = 50
RECENT_AUDIT_ENTRIES = 20


def _page(request: HttpRequest, rows: QuerySet[Any] | Sequence[Any]) -> Page[Any]:
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _visible(queryset: QuerySet[Any], user: Person) -> QuerySet[Any]:
    rows: QuerySet[Any] = policy.scope(queryset, user, "view")
    return rows


def _save_form(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[], Any],
    *,
    done: str,
    template: str,
    context: dict[str, Any],
) -> HttpResponse:
    """A form page: on a valid POST call ``save`` (one service), else show the form.

    A rule the service refuses appears on the form, field by field.
    """
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{saved} has been {done}.")
            return redirect(saved)
    return render(request, template, {"form": form, **context})


# --- people --------------------------------------------------------------------------------


@login_required
def person_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    people = _visible(
        Person.objects.select_related("organisation").prefetch_related(
            Prefetch("roles", queryset=Role.objects.only("id", "code", "name"))
        ),
        user,
    )
    filters = PersonFilterSet(request.GET, queryset=people)
    f.prepare_person_filters(filters.form, user)
    context = {
        "filter_form": filters.form,
        "page": _page(request, filters.qs),
        "may_add": policy.can_add(user, Person),
    }
    return render(request, "accounts/admin/person_list.html", context)


@login_required
def person_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, Person)
    form = f.PersonCreateForm(request.POST or None, user=user)
    return _save_form(
        request,
        form,
        lambda: services.create_person(actor=user, **form.service_arguments()),
        done="added",
        template="accounts/admin/person_form.html",
        context={"person": None},
    )


@login_required
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    person = policy.get_for(user, Person.objects.select_related("organisation"), pk)
    may_change = policy.can(user, "change", person)
    may_administer = may_change and f.may_grant_roles(user)
    tokens_shown = person.pk == user.pk or policy.has_model_permission(user, ApiToken, "view")
    audit_shown = user.has_perm("core.view_auditentry")
    context = {
        "person": person,
        "roles": person.roles.all(),
        "serves": _visible(person.serves_organisations.all(), user),
        "teams": _visible(Team.objects.filter(memberships__person=person), user),
        "device": services.confirmed_device(person),
        "tokens_shown": tokens_shown,
        "token_count": (
            _visible(ApiToken.objects.usable().filter(person=person), user).count()
            if tokens_shown
            else None
        ),
        "audit_shown": audit_shown,
        "audit_entries": (
            _visible(AuditEntry.objects.for_object(person), user)[:RECENT_AUDIT_ENTRIES]
            if audit_shown
            else []
        ),
        "is_me": person.pk == user.pk,
        "may_change": may_change,
        "may_administer": may_administer,
    }
    return render(request, "accounts/admin/person_detail.html", context)


@login_required
def person_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    person = policy.get_for(user, Person.objects.all(), pk)
    policy.require(user, "change", person)
    form = f.PersonEditForm(request.POST or None, user=user, person=person)
    return _save_form(
        request,
        form,
        lambda: services.update_person(actor=user, person=person, **form.changes()),
        done="saved",
        template="accounts/admin/person_form.html",
        context={"person": person},
    )


@login_required
def person_password(request: HttpRequest, pk: int) -> HttpResponse:
    """An administrator sets someone's password (people change their own on their profile)."""
    user = actor_of(request)
    person = policy.get_for(user, Person.objects.all(), pk)
    if person.pk == user.pk:
        return redirect("accounts:password")
    policy.require(user, "change", person)
    form = f.PersonPasswordForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.set_password(
                actor=user, person=person, password=form.cleaned_data["new_password"]
            )
        except RuleViolation as exc:
            if "password" in getattr(exc, "message_dict", {}):
                form.add_error("new_password", exc.message_dict["password"])
            else:
                apply_rule_violation(form, exc)
        else:
            messages.success(request, f"The password of {person} has been set.")
            return redirect(person)
    return render(request, "accounts/admin/person_password.html", {"form": form, "person": person})


@login_required
@require_POST
def person_reset_second_factor(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    person = policy.get_for(user, Person.objects.all(), pk)
    try:
        services.remove_second_factor(actor=user, person=person)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"The second factor of {person} has been removed.")
    return redirect(person)


# --- organisations -------------------------------------------------------------------------


def _with_indent(organisations: Page[Any]) -> Page[Any]:
    """Indent each organisation under the shallowest one shown."""
    top = min((o.depth for o in organisations), default=0)
    for organisation in organisations:
        organisation.indent = "\u2003" * (organisation.depth - top)
    return organisations


@login_required
def organisation_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    organisations = _visible(Organisation.objects.order_by("path"), user)
    filters = OrganisationFilterSet(request.GET, queryset=organisations)
    f.prepare_organisation_filters(filters.form, user)
    context = {
        "filter_form": filters.form,
        "page": _with_indent(_page(request, filters.qs.order_by("path"))),
        "may_add": policy.can_add(user, Organisation),
    }
    return render(request, "accounts/admin/organisation_list.html", context)


@login_required
def organisation_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, Organisation)
    form = f.OrganisationForm(request.POST or None, user=user)
    return _save_form(
        request,
        form,
        lambda: services.create_organisation(actor=user, **form.cleaned_data),
        done="added",
        template="accounts/admin/organisation_form.html",
        context={"organisation": None},
    )


@login_required
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    organisation = policy.get_for(user, Organisation.objects.select_related("parent"), pk)
    parent = organisation.parent
    context = {
        "organisation": organisation,
        "parent_shown": parent is not None and policy.can(user, "view", parent),
        "children": _visible(organisation.children.order_by("path"), user),
        "people_count": _visible(Person.objects.filter(organisation=organisation), user).count(),
        "teams": _visible(organisation.teams.select_related("lead"), user),
        "may_change": policy.can(user, "change", organisation),
    }
    return render(request, "accounts/admin/organisation_detail.html", context)


@login_required
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    organisation = policy.get_for(user, Organisation.objects.all(), pk)
    policy.require(user, "change", organisation)
    form = f.OrganisationEditForm(request.POST or None, user=user, organisation=organisation)
    return _save_form(
        request,
        form,
        lambda: services.update_organisation(
            actor=user, organisation=organisation, **form.changes()
        ),
        done="saved",
        template="accounts/admin/organisation_form.html",
        context={"organisation": organisation},
    )


# --- teams ---------------------------------------------------------------------------------


@login_required
def team_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    teams = _visible(Team.objects.select_related("lead", "organisation"), user)
    filters = TeamFilterSet(request.GET, queryset=teams)
    f.prepare_team_filters(filters.form, user)
    rows = filters.qs.annotate(member_count=Count("memberships", distinct=True)).order_by(
        "support_line", "name", "id"
    )
    context = {
        "filter_form": filters.form,
        "page": _page(request, rows),
        "may_add": policy.can_add(user, Team),
    }
    return render(request, "accounts/admin/team_list.html", context)


@login_required
def team_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, Team)
    form = f.TeamForm(request.POST or None, user=user)
    return _save_form(
        request,
        form,
        lambda: services.create_team(actor=user, **form.cleaned_data),
        done="added",
        template="accounts/admin/team_form.html",
        context={"team": None},
    )


def _render_team(
    request: HttpRequest, team: Team, member_form: f.TeamMemberForm | None = None
) -> HttpResponse:
    user = actor_of(request)
    may_change = policy.can(user, "change", team)
    if member_form is None and may_change:
        member_form = f.TeamMemberForm(user=user, team=team)
    memberships = (
        TeamMembership.objects.filter(
            team=team, person__in=_visible(Person.objects.all(), user).values("pk")
        )
        .select_related("person__organisation")
        .order_by("person__full_name", "person_id")
    )
    context = {
        "team": team,
        "lead_shown": team.lead is not None and policy.can(user, "view", team.lead),
        "memberships": memberships,
        "member_form": member_form,
        "may_change": may_change,
    }
    return render(request, "accounts/admin/team_detail.html", context)


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = policy.get_for(
        actor_of(request), Team.objects.select_related("organisation", "lead"), pk
    )
    return _render_team(request, team)


@login_required
def team_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Team managers change everything; a team's lead its description and e-mail."""
    user = actor_of(request)
    team = policy.get_for(user, Team.objects.all(), pk)
    policy.require(user, "change", team)
    form: f.TeamEditForm | f.TeamLeadEditForm
    if policy.has_model_permission(user, Team, "change"):
        form = f.TeamEditForm(request.POST or None, user=user, team=team)
    else:
        form = f.TeamLeadEditForm(request.POST or None, user=user, team=team)
    return _save_form(
        request,
        form,
        lambda: services.update_team(actor=user, team=team, **form.changes()),
        done="saved",
        template="accounts/admin/team_form.html",
        context={"team": team},
    )


@login_required
@require_POST
def team_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    team = policy.get_for(user, Team.objects.select_related("organisation", "lead"), pk)
    form = f.TeamMemberForm(request.POST, user=user, team=team)
    if form.is_valid():
        person = form.cleaned_data["person"]
        try:
            services.add_team_member(actor=user, team=team, person=person)
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        else:
            messages.success(request, f"{person} has joined {team}.")
            return redirect(team)
    return _render_team(request, team, member_form=form)


@login_required
@require_POST
def team_member_remove(request: HttpRequest, pk: int, person_id: int) -> HttpResponse:
    user = actor_of(request)
    team = policy.get_for(user, Team.objects.all(), pk)
    person = policy.get_for(user, Person.objects.filter(memberships__team=team), person_id)
    try:
        services.remove_team_member(actor=user, team=team, person=person)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{person} has left {team}.")
    return redirect(team)


# --- roles ---------------------------------------------------------------------------------


@login_required
def role_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    people = _visible(Person.objects.all(), user).values("pk")
    roles = (
        _visible(Role.objects.order_by("id"), user)
        .annotate(people_count=Count("people", filter=Q(people__in=people), distinct=True))
        .order_by("id")
    )
    return render(request, "accounts/admin/role_list.html", {"page": _page(request, roles)})


@login_required
def role_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A role's permissions and holders; administrators toggle its second-factor demand."""
    user = actor_of(request)
    role = policy.get_for(user, Role.objects.all(), pk)
    may_change = policy.can(user, "change", role)
    form = f.RoleSecondFactorForm(
        request.POST or None, initial={"requires_second_factor": role.requires_second_factor}
    )
    if request.method == "POST" and form.is_valid():
        role = services.update_role(
            actor=user,
            role=role,
            requires_second_factor=form.cleaned_data["requires_second_factor"],
        )
        messages.success(request, f"The role {role} has been saved.")
        return redirect(role)
    permissions: dict[str, list[str]] = {}
    for app_label, codename in role.permissions.order_by(
        "content_type__app_label", "codename"
    ).values_list("content_type__app_label", "codename"):
        permissions.setdefault(app_label, []).append(codename)
    holders = _visible(Person.objects.filter(roles=role).select_related("organisation"), user)
    context = {
        "role": role,
        "permissions": sorted(permissions.items()),
        "page": _page(request, holders),
        "form": form if may_change else None,
    }
    return render(request, "accounts/admin/role_detail.html", context)
