"""Forms of the administration pages. They parse input; services decide.

Every choice of an organisation, a person or a role offers only the rows the acting person
may see (``policy.scope``). Edit forms hand the service only the fields that changed, so an
untouched field never asks for a permission it does not need.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from steward.accounts.choices import OrganisationKind, SupportLine
from steward.accounts.models import Organisation, Person, Role, Team
from steward.core import policy

YES_NO_ANY = [("", "Any"), ("true", "Yes"), ("false", "No")]


def may_grant_roles(user: Person) -> bool:
    """Roles and served organisations are granted by people who may change roles."""
    return policy.has_model_permission(user, Role, "change")


def visible_organisations(user: Person) -> QuerySet[Organisation]:
    organisations: QuerySet[Organisation] = policy.scope(
        Organisation.objects.order_by("path"), user, "view"
    )
    return organisations


def visible_people(user: Person) -> QuerySet[Person]:
    people: QuerySet[Person] = policy.scope(
        Person.objects.active().order_by("full_name", "id"), user, "view"
    )
    return people


def visible_roles(user: Person) -> QuerySet[Role]:
    roles: QuerySet[Role] = policy.scope(Role.objects.order_by("id"), user, "view")
    return roles


class OrganisationChoiceField(forms.ModelChoiceField[Organisation]):
    """An organisation, shown indented under its parent."""

    def label_from_instance(self, obj: Organisation) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class OrganisationMultipleChoiceField(forms.ModelMultipleChoiceField[Organisation]):
    def label_from_instance(self, obj: Organisation) -> str:
        return f"{'— ' * obj.depth}{obj.name}"


class PersonChoiceField(forms.ModelChoiceField[Person]):
    """A person, shown with their e-mail so namesakes can be told apart."""

    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.full_name} <{obj.email}>"


def _changes(form: forms.Form) -> dict[str, Any]:
    """The cleaned values of the fields the person changed."""
    return {name: form.cleaned_data[name] for name in form.changed_data}


# --- people --------------------------------------------------------------------------------


class PersonForm(forms.Form):
    """The fields people are created and edited with."""

    email = forms.EmailField(label="E-mail", max_length=254)
    full_name = forms.CharField(max_length=200)
    organisation = OrganisationChoiceField(queryset=Organisation.objects.none(), required=False)
    roles = forms.ModelMultipleChoiceField(
        queryset=Role.objects.none(),
        to_field_name="code",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    job_title = forms.CharField(max_length=120, required=False)
    phone = forms.CharField(max_length=40, required=False)
    serves_organisations = OrganisationMultipleChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        label="Serves organisations",
        help_text="Staff restricted to these organisations (and their children). None: all.",
    )

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        organisations = visible_organisations(user)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["serves_organisations"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["roles"].queryset = visible_roles(user)  # type: ignore[attr-defined]
        if not may_grant_roles(user):
            for name in ("roles", "serves_organisations"):
                self.fields[name].disabled = True
                self.fields[name].help_text = "Only administrators may change this."


class PersonCreateForm(PersonForm):
    password = forms.CharField(
        label="Initial password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to let the person have no password (single sign-on, tokens).",
    )

    field_order = [
        "email",
        "full_name",
        "organisation",
        "roles",
        "job_title",
        "phone",
        "password",
        "serves_organisations",
    ]

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        self.fields["roles"].help_text = "Requester when none is ticked."

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments for ``services.create_person``."""
        data = dict(self.cleaned_data)
        roles = data.pop("roles")
        if roles:
            data["roles"] = [role.code for role in roles]
        data["password"] = data["password"] or None
        return data


class PersonEditForm(PersonForm):
    is_active = forms.BooleanField(
        label="Active", required=False, help_text="Deactivated people cannot sign in."
    )
    is_away = forms.BooleanField(
        label="Away", required=False, help_text="Away people are skipped by automatic assignment."
    )

    field_order = [
        "email",
        "full_name",
        "organisation",
        "job_title",
        "phone",
        "is_active",
        "is_away",
        "roles",
        "serves_organisations",
    ]

    def __init__(self, *args: Any, user: Person, person: Person, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "email": person.email,
            "full_name": person.full_name,
            "organisation": person.organisation_id,
            "job_title": person.job_title,
            "phone": person.phone,
            "is_active": person.is_active,
            "is_away": person.is_away,
            "roles": [role.code for role in person.roles.all()],
            "serves_organisations": [org.pk for org in person.serves_organisations.all()],
        }
        super().__init__(*args, user=user, **kwargs)

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for ``services.update_person``: the changed fields only."""
        changes = _changes(self)
        if "roles" in changes:
            changes["roles"] = [role.code for role in changes["roles"]]
        return changes


class PersonPasswordForm(forms.Form):
    """An administrator sets someone else's password."""

    new_password = forms.CharField(
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="At least 10 characters, not too common, not all digits.",
    )
    confirm_password = forms.CharField(
        strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password") != data.get("confirm_password"):
            self.add_error("confirm_password", "The two passwords differ.")
        return data


def prepare_person_filters(form: forms.Form, user: Person) -> None:
    """Offer the visible organisations and teams as lists instead of bare ids."""
    organisations = [("", "Any")] + [
        (str(o.pk), f"{'— ' * o.depth}{o.name}") for o in visible_organisations(user)
    ]
    teams = [("", "Any")] + [
        (str(t.pk), t.name)
        for t in policy.scope(Team.objects.order_by("name"), user, "view").only("pk", "name")
    ]
    _select(form, "organisation", "Organisation", organisations)
    _select(form, "team", "Team", teams)
    _select(form, "is_active", "Active", YES_NO_ANY)
    _select(form, "is_away", "Away", YES_NO_ANY)
    form.fields["role"].label = "Role"


def _select(form: forms.Form, name: str, label: str, choices: list[tuple[str, str]]) -> None:
    field = form.fields[name]
    field.label = label
    field.widget = forms.Select(choices=choices)


# --- organisations -------------------------------------------------------------------------


class OrganisationForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.SlugField(
        max_length=50, help_text="Short unique name: letters, digits, hyphens, underscores."
    )
    kind = forms.ChoiceField(choices=OrganisationKind.choices, initial=OrganisationKind.CUSTOMER)
    parent = OrganisationChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="The organisation this one belongs to. None: a top-level organisation.",
    )
    requesters_see_organisation = forms.BooleanField(
        label="Requesters see their organisation's records",
        required=False,
        help_text="Requesters of this organisation may see each other's records.",
    )

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = visible_organisations(user)  # type: ignore[attr-defined]


class OrganisationEditForm(OrganisationForm):
    is_active = forms.BooleanField(label="Active", required=False)

    def __init__(self, *args: Any, user: Person, organisation: Organisation, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "name": organisation.name,
            "code": organisation.code,
            "kind": organisation.kind,
            "parent": organisation.parent_id,
            "requesters_see_organisation": organisation.requesters_see_organisation,
            "is_active": organisation.is_active,
        }
        super().__init__(*args, user=user, **kwargs)

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for ``services.update_organisation``: the changed fields only."""
        return _changes(self)


def prepare_organisation_filters(form: forms.Form, user: Person) -> None:
    parents = [("", "Any")] + [
        (str(o.pk), f"{'— ' * o.depth}{o.name}") for o in visible_organisations(user)
    ]
    _select(form, "parent", "Parent", parents)
    _select(form, "is_active", "Active", YES_NO_ANY)


# --- teams ---------------------------------------------------------------------------------


class TeamForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    email = forms.EmailField(label="E-mail", required=False)
    organisation = OrganisationChoiceField(queryset=Organisation.objects.none(), required=False)
    support_line = forms.TypedChoiceField(
        choices=SupportLine.choices, coerce=int, initial=SupportLine.FIRST
    )
    lead = PersonChoiceField(
        queryset=Person.objects.none(),
        required=False,
        help_text="The lead is always a member of the team.",
    )

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = visible_organisations(user)  # type: ignore[attr-defined]
        self.fields["lead"].queryset = visible_people(user)  # type: ignore[attr-defined]


class TeamEditForm(TeamForm):
    is_active = forms.BooleanField(label="Active", required=False)

    def __init__(self, *args: Any, user: Person, team: Team, **kwargs: Any) -> None:
        kwargs["initial"] = {
            "name": team.name,
            "description": team.description,
            "email": team.email,
            "organisation": team.organisation_id,
            "support_line": team.support_line,
            "lead": team.lead_id,
            "is_active": team.is_active,
        }
        super().__init__(*args, user=user, **kwargs)

    def changes(self) -> dict[str, Any]:
        """Keyword arguments for ``services.update_team``: the changed fields only."""
        return _changes(self)


class TeamLeadEditForm(forms.Form):
    """What a team's lead may change about their own team."""

    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    email = forms.EmailField(label="E-mail", required=False)

    def __init__(self, *args: Any, user: Person, team: Team, **kwargs: Any) -> None:
        kwargs["initial"] = {"description": team.description, "email": team.email}
        super().__init__(*args, **kwargs)

    def changes(self) -> dict[str, Any]:
        return _changes(self)


class TeamMemberForm(forms.Form):
    person = PersonChoiceField(queryset=Person.objects.none(), label="Person")

    def __init__(self, *args: Any, user: Person, team: Team, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        candidates = visible_people(user).exclude(memberships__team=team)
        self.fields["person"].queryset = candidates  # type: ignore[attr-defined]


def prepare_team_filters(form: forms.Form, user: Person) -> None:
    organisations = [("", "Any")] + [
        (str(o.pk), f"{'— ' * o.depth}{o.name}") for o in visible_organisations(user)
    ]
    _select(form, "organisation", "Organisation", organisations)
    _select(form, "is_active", "Active", YES_NO_ANY)
    form.fields["support_line"].label = "Support line"
    # Kept working for links such as "this person's teams", but not offered as a list.
    form.fields["member"].widget = forms.HiddenInput()


# --- roles ---------------------------------------------------------------------------------


class RoleSecondFactorForm(forms.Form):
    requires_second_factor = forms.BooleanField(
        label="People holding this role must use a second factor", required=False
    )
