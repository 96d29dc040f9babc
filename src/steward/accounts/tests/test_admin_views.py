"""The administration area: people, organisations, teams and roles in the web UI.

Each role sees what it may: administrators change everything, agents read, requesters reach
no administration page, a team's lead changes only their team's description and e-mail.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts import services
from steward.accounts.choices import RoleCode
from steward.accounts.models import Organisation, Person, Role, Team
from steward.accounts.tests.factories import (
    PASSWORD,
    make_admin,
    make_agent,
    make_auditor,
    make_organisation,
    make_person,
    make_team,
)
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def person_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "email": "new.person@example.test",
        "full_name": "New Person",
        "organisation": "",
        "job_title": "",
        "phone": "",
        "password": "",
        "roles": [],
        "serves_organisations": [],
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


# --- who reaches what ------------------------------------------------------------------------

ADMIN_PAGES = [
    "accounts:person_list",
    "accounts:organisation_list",
    "accounts:team_list",
    "accounts:role_list",
]


@pytest.mark.parametrize("url_name", ADMIN_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(url_name: str) -> None:
    response = Client().get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_requesters_see_only_themselves_and_cannot_add(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    requester = make_person()
    other = make_person()
    client = signed_in(requester)
    response = client.get(reverse("accounts:person_list"))
    assert response.status_code == 200
    assert list(response.context["page"]) == [requester]
    assert not response.context["may_add"]
    assert client.get(other.get_absolute_url()).status_code == 404
    assert client.get(reverse("accounts:person_create")).status_code == 403
    assert client.get(reverse("accounts:role_list")).context["page"].paginator.count == 0


def test_agents_read_but_do_not_change() -> None:
    agent = make_agent()
    person = make_person()
    client = signed_in(agent)
    page = client.get(person.get_absolute_url())
    assert page.status_code == 200
    assert not page.context["may_change"]
    assert b'data-testid="edit-person"' not in page.content
    assert client.get(reverse("accounts:person_edit", args=[person.pk])).status_code == 403
    response = client.post(
        reverse("accounts:person_edit", args=[person.pk]),
        person_form(email=person.email, full_name="Renamed"),
    )
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.full_name != "Renamed"


def test_staff_serving_some_organisations_see_only_those() -> None:
    parent = make_organisation(name="Contoso")
    child = make_organisation(name="Contoso Labs", parent=parent)
    elsewhere = make_organisation(name="Fabrikam")
    agent = make_agent()
    services.update_person(actor=None, person=agent, serves_organisations=[parent])
    inside = make_person(organisation=child)
    outside = make_person(organisation=elsewhere)
    client = signed_in(agent)
    names = [o.name for o in client.get(reverse("accounts:organisation_list")).context["page"]]
    assert names == ["Contoso", "Contoso Labs"]
    people = list(client.get(reverse("accounts:person_list")).context["page"])
    assert inside in people
    assert outside not in people
    assert client.get(outside.get_absolute_url()).status_code == 404
    assert client.get(elsewhere.get_absolute_url()).status_code == 404


# --- people ----------------------------------------------------------------------------------


def test_administrator_adds_a_person_with_roles_and_it_is_audited() -> None:
    admin = make_admin()
    organisation = make_organisation()
    client = signed_in(admin)
    response = client.post(
        reverse("accounts:person_create"),
        person_form(
            organisation=organisation.pk,
            roles=[RoleCode.AGENT, RoleCode.CAB_MEMBER],
            password="a long enough passphrase",
        ),
    )
    person = Person.objects.get(email="new.person@example.test")
    assert response.status_code == 302
    assert response["Location"] == person.get_absolute_url()
    assert person.role_codes == {RoleCode.AGENT, RoleCode.CAB_MEMBER}
    assert person.organisation == organisation
    assert person.check_password("a long enough passphrase")
    entry = AuditEntry.objects.for_object(person).get()
    assert entry.actor == admin
    assert entry.source == "web"
    detail = client.get(person.get_absolute_url())
    assert entry in detail.context["audit_entries"]


def test_adding_a_person_with_bad_input_shows_errors_and_adds_nobody() -> None:
    admin = make_admin()
    taken = make_person(email="taken@example.test")
    client = signed_in(admin)
    before = Person.objects.count()
    response = client.post(reverse("accounts:person_create"), person_form(email="not-an-email"))
    assert response.status_code == 200
    assert "email" in response.context["form"].errors
    response = client.post(
        reverse("accounts:person_create"), person_form(email="TAKEN@example.test")
    )
    assert response.status_code == 200
    assert "already signs in" in str(response.context["form"].errors["email"])
    response = client.post(reverse("accounts:person_create"), person_form(password="123"))
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Person.objects.count() == before
    assert Person.objects.filter(pk=taken.pk).exists()


def test_administrator_edits_only_what_changed() -> None:
    admin = make_admin()
    person = make_agent(full_name="Ada Lovelace", job_title="Analyst")
    client = signed_in(admin)
    form = client.get(reverse("accounts:person_edit", args=[person.pk])).context["form"]
    data = {name: form[name].value() for name in form.fields}
    data["roles"] = [RoleCode.AGENT, RoleCode.TEAM_LEAD]
    data["job_title"] = "Senior analyst"
    data = {k: v for k, v in data.items() if v not in (None, False)}
    response = client.post(reverse("accounts:person_edit", args=[person.pk]), data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    person = Person.objects.get(pk=person.pk)
    assert person.job_title == "Senior analyst"
    assert person.role_codes == {RoleCode.AGENT, RoleCode.TEAM_LEAD}
    entry = AuditEntry.objects.for_object(person).filter(action="person.updated").get()
    assert set(entry.changes) == {"job_title", "roles"}


def test_administrator_sets_a_password_and_removes_a_second_factor() -> None:
    admin = make_admin()
    person = make_agent()
    device = services.start_second_factor_enrolment(actor=person)
    device.confirmed = True
    device.save()
    client = signed_in(admin)
    url = reverse("accounts:person_password", args=[person.pk])
    mismatch = client.post(url, {"new_password": "first passphrase", "confirm_password": "other"})
    assert "confirm_password" in mismatch.context["form"].errors
    response = client.post(
        url, {"new_password": "a fresh passphrase", "confirm_password": "a fresh passphrase"}
    )
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.check_password("a fresh passphrase")
    assert services.confirmed_device(person) is not None
    client.post(reverse("accounts:person_reset_second_factor", args=[person.pk]))
    assert services.confirmed_device(person) is None


def test_the_person_list_filters_and_keeps_its_query_count() -> None:
    admin = make_admin()
    organisation = make_organisation()
    client = signed_in(admin)
    for _ in range(3):
        make_agent(organisation=organisation)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("accounts:person_list")).status_code == 200
    for _ in range(12):
        make_person(organisation=organisation)
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:person_list"))
    assert len(many) == len(few)
    assert response.context["page"].paginator.count == 16
    filtered = client.get(
        reverse("accounts:person_list"),
        {"role": str(RoleCode.AGENT), "organisation": str(organisation.pk)},
    )
    assert filtered.context["page"].paginator.count == 3
    searched = client.get(reverse("accounts:person_list"), {"q": admin.email.upper()})
    assert list(searched.context["page"]) == [admin]


# --- organisations ---------------------------------------------------------------------------


def test_organisations_nest_and_refuse_a_cycle() -> None:
    admin = make_admin()
    client = signed_in(admin)
    response = client.post(
        reverse("accounts:organisation_create"),
        {"name": "Contoso", "code": "contoso", "kind": "customer", "parent": ""},
    )
    contoso = Organisation.objects.get(code="contoso")
    assert response["Location"] == contoso.get_absolute_url()
    client.post(
        reverse("accounts:organisation_create"),
        {"name": "Contoso HR", "code": "contoso-hr", "kind": "department", "parent": contoso.pk},
    )
    hr = Organisation.objects.get(code="contoso-hr")
    assert hr.path.startswith(contoso.path)
    listing = client.get(reverse("accounts:organisation_list"))
    rows = {o.code: o.indent for o in listing.context["page"]}
    assert len(rows["contoso-hr"]) == len(rows["contoso"]) + 1

    edit = reverse("accounts:organisation_edit", args=[contoso.pk])
    response = client.post(
        edit,
        {"name": "Contoso", "code": "contoso", "kind": "customer", "parent": hr.pk},
    )
    assert response.status_code == 200
    assert "parent" in response.context["form"].errors
    contoso.refresh_from_db()
    assert contoso.parent is None
    detail = client.get(contoso.get_absolute_url())
    assert list(detail.context["children"]) == [hr]


def test_duplicate_organisation_code_is_a_form_error() -> None:
    admin = make_admin()
    make_organisation(code="acme")
    response = signed_in(admin).post(
        reverse("accounts:organisation_create"),
        {"name": "Acme again", "code": "acme", "kind": "customer"},
    )
    assert response.status_code == 200
    assert "code" in response.context["form"].errors
    assert Organisation.objects.filter(code="acme").count() == 1


# --- teams -----------------------------------------------------------------------------------


def test_administrator_builds_a_team_and_manages_its_members() -> None:
    admin = make_admin()
    lead = make_agent(full_name="Lena Lead")
    member = make_agent(full_name="Mo Member")
    client = signed_in(admin)
    response = client.post(
        reverse("accounts:team_create"),
        {"name": "Network", "support_line": "2", "lead": lead.pk, "description": ""},
    )
    team = Team.objects.get(name="Network")
    assert response["Location"] == team.get_absolute_url()
    assert list(team.members.all()) == [lead]

    client.post(reverse("accounts:team_member_add", args=[team.pk]), {"person": member.pk})
    assert set(team.members.all()) == {lead, member}
    page = client.get(team.get_absolute_url())
    assert member not in page.context["member_form"].fields["person"].queryset

    refused = client.post(reverse("accounts:team_member_remove", args=[team.pk, lead.pk]))
    assert refused.status_code == 302
    assert lead in team.members.all()
    client.post(reverse("accounts:team_member_remove", args=[team.pk, member.pk]))
    assert list(team.members.all()) == [lead]


def test_a_team_lead_changes_only_description_and_email() -> None:
    lead = make_agent()
    team = make_team(lead=lead)
    client = signed_in(lead)
    form = client.get(reverse("accounts:team_edit", args=[team.pk])).context["form"]
    assert set(form.fields) == {"description", "email"}
    response = client.post(
        reverse("accounts:team_edit", args=[team.pk]),
        {"description": "We run the network.", "email": "net@example.test", "name": "Hijack"},
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.description == "We run the network."
    assert team.name != "Hijack"
    other = make_team()
    assert client.get(reverse("accounts:team_edit", args=[other.pk])).status_code == 403


def test_the_team_list_keeps_its_query_count() -> None:
    admin = make_admin()
    client = signed_in(admin)
    make_team(lead=make_agent())
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("accounts:team_list"))
    for _ in range(8):
        make_team(lead=make_agent(), organisation=make_organisation())
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("accounts:team_list"))
    assert len(many) == len(few)
    assert response.context["page"].paginator.count == 9


# --- roles -----------------------------------------------------------------------------------


def test_administrator_requires_a_second_factor_for_a_role() -> None:
    admin = make_admin()
    role = Role.objects.get(code=RoleCode.CHANGE_MANAGER)
    client = signed_in(admin)
    page = client.get(role.get_absolute_url())
    assert page.context["permissions"]
    response = client.post(role.get_absolute_url(), {"requires_second_factor": "on"})
    assert response.status_code == 302
    role.refresh_from_db()
    assert role.requires_second_factor
    assert AuditEntry.objects.for_object(role).filter(actor=admin).exists()


def test_auditors_read_roles_but_cannot_change_them() -> None:
    auditor = make_auditor()
    role = Role.objects.get(code=RoleCode.AGENT)
    client = signed_in(auditor)
    page = client.get(role.get_absolute_url())
    assert page.status_code == 200
    assert page.context["form"] is None
    assert client.post(role.get_absolute_url(), {"requires_second_factor": "on"}).status_code == 403
    role.refresh_from_db()
    assert not role.requires_second_factor
    person_page = client.get(make_person().get_absolute_url())
    assert person_page.context["audit_shown"]
    assert not person_page.context["may_change"]


def test_pages_render_labels_for_every_field() -> None:
    admin = make_admin()
    client = signed_in(admin)
    for url in (
        reverse("accounts:person_create"),
        reverse("accounts:organisation_create"),
        reverse("accounts:team_create"),
    ):
        response = client.get(url)
        form = response.context["form"]
        html = response.content.decode()
        for field in form.visible_fields():
            if field.use_fieldset:
                assert f"<legend>{field.label}" in html
            else:
                assert f'for="{field.id_for_label}"' in html, (url, field.name)


def test_sign_in_with_the_password_an_administrator_set() -> None:
    admin = make_admin()
    person = make_agent()
    signed_in(admin).post(
        reverse("accounts:person_password", args=[person.pk]),
        {"new_password": "handed over safely", "confirm_password": "handed over safely"},
    )
    client = Client()
    refused = client.post(
        reverse("accounts:login"), {"username": person.email, "password": PASSWORD}
    )
    assert refused.status_code == 200
    response = client.post(
        reverse("accounts:login"), {"username": person.email, "password": "handed over safely"}
    )
    assert response.status_code == 302
