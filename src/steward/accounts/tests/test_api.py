"""The accounts API endpoints, each through the shared permission harness, plus specifics."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from steward.accounts import services
from steward.accounts.choices import RoleCode
from steward.accounts.models import ApiToken, Organisation, Person, Team
from steward.accounts.tests.factories import (
    make_admin,
    make_agent,
    make_organisation,
    make_person,
    make_team,
)
from steward.core.models import AuditEntry
from steward.core.testing import ApiResourceTests, assert_problem


class TestPersonApi(ApiResourceTests):
    basename = "person"
    filter_cases = [
        ({"role": "agent"}, lambda p: p.has_role("agent")),
        ({"is_away": "true"}, lambda p: p.is_away),
        ({"q": "Zed"}, lambda p: "Zed" in p.full_name),
    ]

    def make_object(self, organisation: Any) -> Person:
        n = Person.objects.count()
        return make_person(
            organisation=organisation,
            full_name="Zed Ant" if n % 2 else "Yan Bee",
            roles=["agent"] if n % 3 == 0 else ["requester"],
        )

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "email": f"new{Person.objects.count()}@example.test",
            "full_name": "New Person",
            "organisation": organisation.pk,
            "roles": ["requester"],
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"job_title": f"Title {obj.pk}-{AuditEntry.objects.count()}"}


class TestOrganisationApi(ApiResourceTests):
    basename = "organisation"
    filter_cases = [({"kind": "supplier"}, lambda o: o.kind == "supplier")]

    def make_object(self, organisation: Any) -> Organisation:
        n = Organisation.objects.count()
        return make_organisation(parent=organisation, kind="supplier" if n % 2 else "department")

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        n = Organisation.objects.count()
        return {"name": "New Co", "code": f"new-co-{n}", "kind": "customer"}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"name": f"Renamed {AuditEntry.objects.count()}"}


class TestTeamApi(ApiResourceTests):
    basename = "team"
    filter_cases = [({"support_line": "2"}, lambda t: t.support_line == 2)]

    def make_object(self, organisation: Any) -> Team:
        n = Team.objects.count()
        member = make_agent(organisation=organisation)
        return make_team(organisation=organisation, support_line=1 + n % 3, members=[member])

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"name": f"New team {Team.objects.count()}", "support_line": 2}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": f"About {AuditEntry.objects.count()}"}


class TestRoleApi(ApiResourceTests):
    basename = "role"
    organisation_scoped = False

    def make_object(self, organisation: Any) -> Any:
        from steward.accounts.models import Role

        return Role.objects.get(code=RoleCode.CAB_MEMBER)

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": f"Reviews changes {AuditEntry.objects.count()}"}

    def test_list_query_budget(self) -> None:
        pytest.skip("roles are a fixed set; the list is covered by the allowed-role test")


class TestApiTokenApi(ApiResourceTests):
    """Tokens belong to people: owners manage their own, administrators all."""

    basename = "api-token"

    def make_object(self, organisation: Any) -> ApiToken:
        owner = make_person(organisation=organisation)
        token, _ = services.create_api_token(actor=None, person=owner, name="script")
        return token

    def allowed_user(self, organisation: Any) -> Person:
        return make_admin()

    def denied_user(self, organisation: Any) -> Person:
        return make_agent(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"name": "ci", "expires_in_days": 7, "person": make_person().pk}


# -- specifics beyond the harness ---------------------------------------------------------


@pytest.mark.django_db
def test_person_sees_and_manages_only_their_own_tokens(api_client):
    # given two people with a token each
    alice, bob = make_person(), make_person()
    alices, _ = services.create_api_token(actor=None, person=alice, name="a")
    bobs, _ = services.create_api_token(actor=None, person=bob, name="b")
    api_client.force_authenticate(alice)
    # when alice lists tokens and creates one for herself
    listed = api_client.get(reverse("api-token-list"))
    created = api_client.post(reverse("api-token-list"), {"name": "mine"}, format="json")
    # then she sees her own only, and the secret is answered exactly once
    assert {row["id"] for row in listed.json()["results"]} == {alices.pk}
    assert created.status_code == 201
    secret = created.json()["token"]
    assert secret.startswith("stw_")
    new = ApiToken.objects.get(pk=created.json()["id"])
    assert new.person == alice and new.digest != secret and secret not in new.digest
    assert "token" not in api_client.get(reverse("api-token-detail", args=[new.pk])).json()
    # and she cannot revoke bob's (404) nor create one for him (403)
    assert_problem(api_client.delete(reverse("api-token-detail", args=[bobs.pk])), 404)
    for_bob = api_client.post(
        reverse("api-token-list"), {"name": "x", "person": bob.pk}, format="json"
    )
    assert for_bob.status_code in (400, 403)
    bobs.refresh_from_db()
    assert bobs.revoked_at is None


@pytest.mark.django_db
def test_token_auth_expired_and_revoked_are_401(api_client):
    # given a working token
    person = make_admin()
    token, secret = services.create_api_token(actor=None, person=person, name="t")
    url = reverse("person-me")
    ok = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert ok.status_code == 200 and ok.json()["email"] == person.email
    # when it expires
    ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at)
    expired = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert assert_problem(expired, 401)["detail"] == "This token has expired."
    # when it is revoked
    ApiToken.objects.filter(pk=token.pk).update(expires_at=token.expires_at)
    services.revoke_api_token(actor=person, token=token)
    revoked = api_client.get(url, HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert assert_problem(revoked, 401)["detail"] == "This token has been revoked."
    # and a made-up one
    bogus = api_client.get(url, HTTP_AUTHORIZATION="Bearer stw_000000000000_nope")
    assert assert_problem(bogus, 401)["detail"] == "Invalid token."
    assert revoked["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.django_db
def test_bad_bodies_are_problems_and_change_nothing(api_client, settings):
    admin = make_admin()
    api_client.force_authenticate(admin)
    url = reverse("person-list")
    count = Person.objects.count()
    # malformed JSON
    broken = api_client.generic("POST", url, "{not json", content_type="application/json")
    assert assert_problem(broken, 400)["type"].endswith("malformed-request")
    # an unknown field
    unknown = api_client.post(
        url, {"email": "u@example.test", "full_name": "U", "is_superuser": True}, format="json"
    )
    body = assert_problem(unknown, 400)
    assert body["errors"] == [
        {"field": "is_superuser", "message": "Unknown field.", "code": "invalid"}
    ]
    # a field error, with the field named
    invalid = api_client.post(url, {"email": "not-an-email", "full_name": "X"}, format="json")
    assert [e["field"] for e in assert_problem(invalid, 400)["errors"]] == ["email"]
    # a body that is not an object
    assert_problem(api_client.post(url, [1, 2], format="json"), 400)
    # an oversize body
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = api_client.post(url, {"email": "b@example.test", "full_name": "x" * 5000}, format="json")
    assert assert_problem(big, 413)["type"].endswith("payload-too-large")
    # a rule the service enforces (duplicate e-mail) is a 400 with the field
    dup = api_client.post(url, {"email": admin.email.upper(), "full_name": "Dup"}, format="json")
    assert [e["field"] for e in assert_problem(dup, 400)["errors"]] == ["email"]
    assert Person.objects.count() == count


@pytest.mark.django_db
def test_unknown_api_url_is_a_problem(api_client):
    api_client.force_authenticate(make_admin())
    body = assert_problem(api_client.get("/api/v1/no-such-thing/"), 404)
    assert body["instance"] == "/api/v1/no-such-thing/"


@pytest.mark.django_db
def test_cursor_pagination_walks_every_row_once(api_client):
    # given 25 people visible to an administrator
    admin = make_admin()
    for _ in range(24):
        make_person()
    api_client.force_authenticate(admin)
    seen: list[int] = []
    url: str | None = reverse("person-list") + "?page_size=10&ordering=full_name"
    # when following the next links
    while url:
        page = api_client.get(url).json()
        seen += [row["id"] for row in page["results"]]
        url = page["next"]
    # then every person appears exactly once
    assert sorted(seen) == sorted(Person.objects.values_list("pk", flat=True))


@pytest.mark.django_db
def test_agent_cannot_grant_roles_through_the_api(api_client):
    # given an agent (who may view people) and a requester
    agent, requester = make_agent(), make_person()
    api_client.force_authenticate(agent)
    # when the agent tries to make the requester an administrator
    response = api_client.patch(
        reverse("person-detail", args=[requester.pk]), {"roles": ["administrator"]}, format="json"
    )
    # then it is refused and nothing changed
    assert_problem(response, 403)
    assert set(requester.roles.values_list("code", flat=True)) == {"requester"}


@pytest.mark.django_db
def test_requester_sees_only_themselves_unless_their_organisation_shares(api_client):
    org = make_organisation()
    me, colleague = make_person(organisation=org), make_person(organisation=org)
    stranger = make_person(organisation=make_organisation())
    api_client.force_authenticate(me)
    ids = {row["id"] for row in api_client.get(reverse("person-list")).json()["results"]}
    assert ids == {me.pk}
    assert_problem(api_client.get(reverse("person-detail", args=[colleague.pk])), 404)
    # when the organisation lets its requesters see each other
    services.update_organisation(actor=None, organisation=org, requesters_see_organisation=True)
    me = Person.objects.get(pk=me.pk)
    api_client.force_authenticate(me)
    ids = {row["id"] for row in api_client.get(reverse("person-list")).json()["results"]}
    assert ids == {me.pk, colleague.pk}
    assert stranger.pk not in ids


@pytest.mark.django_db
def test_team_membership_through_the_api_is_audited(api_client):
    admin, agent = make_admin(), make_agent()
    team = make_team()
    api_client.force_authenticate(admin)
    added = api_client.post(
        reverse("team-add-member", args=[team.pk]), {"person": agent.pk}, format="json"
    )
    assert added.status_code == 200 and agent.pk in added.json()["members"]
    removed = api_client.delete(reverse("team-remove-member", args=[team.pk, agent.pk]))
    assert removed.status_code == 204
    actions = list(
        AuditEntry.objects.for_object(team).order_by("id").values_list("action", flat=True)
    )
    assert actions[-2:] == ["team.member_added", "team.member_removed"]
    assert not team.members.filter(pk=agent.pk).exists()
