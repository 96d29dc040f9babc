"""The one permission policy: which rows each person sees, and 404 before 403."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.urls import reverse

from steward.accounts import services
from steward.accounts.choices import RoleCode
from steward.accounts.models import ApiToken, Organisation, Person, Role, Team
from steward.accounts.tests.factories import (
    make_admin,
    make_agent,
    make_auditor,
    make_organisation,
    make_person,
    make_team,
)
from steward.core import audit, policy
from steward.core.errors import Forbidden, NotFound
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def ids(queryset: Any) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def visible(user: Any, model: Any, action: str = "view") -> set[int]:
    return ids(policy.scope(model.objects.all(), user, action))


@pytest.fixture
def world() -> dict[str, Any]:
    """Two customers, one with a department; people, tokens and a team in each."""
    acme = make_organisation(name="Acme", code="acme")
    acme_sales = make_organisation(name="Acme sales", code="acme-sales", parent=acme)
    globex = make_organisation(name="Globex", code="globex")
    ann = make_person(organisation=acme, full_name="Ann")
    amy = make_person(organisation=acme, full_name="Amy")
    sid = make_person(organisation=acme_sales, full_name="Sid")
    gus = make_person(organisation=globex, full_name="Gus")
    tokens = {
        person.full_name: services.create_api_token(actor=None, person=person, name="t")[0]
        for person in (ann, amy, gus)
    }
    acme_team = make_team(name="Acme desk", organisation=acme)
    globex_team = make_team(name="Globex desk", organisation=globex)
    return {
        "acme": acme,
        "acme_sales": acme_sales,
        "globex": globex,
        "ann": ann,
        "amy": amy,
        "sid": sid,
        "gus": gus,
        "tokens": tokens,
        "acme_team": acme_team,
        "globex_team": globex_team,
    }


# -- requesters ---------------------------------------------------------------------------------


def test_requester_sees_only_their_own_records(world):
    # given a requester of an organisation that does not share its records
    ann = world["ann"]
    assert world["acme"].requesters_see_organisation is False
    # then she sees herself, her own token and her own organisation, and nothing else
    assert visible(ann, Person) == {ann.pk}
    assert visible(ann, ApiToken) == {world["tokens"]["Ann"].pk}
    assert visible(ann, Organisation) == {world["acme"].pk}
    assert visible(ann, Team) == set()
    assert visible(ann, AuditEntry) == set()
    # and may change none of it but her own token
    assert visible(ann, Person, "change") == set()
    assert visible(ann, ApiToken, "delete") == {world["tokens"]["Ann"].pk}


def test_organisation_that_shares_widens_a_requesters_view_to_its_people(world):
    # given Acme lets its requesters see each other's records
    services.update_organisation(
        actor=None, organisation=world["acme"], requesters_see_organisation=True
    )
    ann = Person.objects.get(pk=world["ann"].pk)  # fresh: the sharing flag is cached per person
    # then Ann sees Acme's people, but not its department's nor another customer's
    assert visible(ann, Person) == {world["ann"].pk, world["amy"].pk}
    # and not other people's tokens, which are never shared
    assert visible(ann, ApiToken) == {world["tokens"]["Ann"].pk}
    # and seeing is not changing
    assert visible(ann, Person, "change") == set()
    with pytest.raises(Forbidden):
        policy.require(ann, "change", world["amy"])


def test_sharing_organisation_does_not_widen_other_organisations(world):
    # given Acme shares, Globex does not
    services.update_organisation(
        actor=None, organisation=world["acme"], requesters_see_organisation=True
    )
    gus = Person.objects.get(pk=world["gus"].pk)
    # then Globex's requester still sees only himself
    assert visible(gus, Person) == {gus.pk}


def test_requester_is_not_found_on_someone_elses_record(world):
    # given Ann, and Amy of her (non-sharing) organisation
    ann, amy = world["ann"], world["amy"]
    # when Ann fetches Amy or Amy's token
    with pytest.raises(NotFound):
        policy.get_for(ann, Person.objects.all(), amy.pk)
    with pytest.raises(NotFound):
        policy.get_for(ann, ApiToken.objects.all(), world["tokens"]["Amy"].pk)
    # then even asking to change it answers "not found", never "forbidden"
    with pytest.raises(NotFound):
        policy.require(ann, "change", amy)
    # and her own record is found
    assert policy.get_for(ann, Person.objects.all(), ann.pk) == ann


# -- staff restricted to organisations ------------------------------------------------------------


def test_staff_serving_an_organisation_see_it_and_its_children_only(world):
    # given an agent restricted to Acme (which has a department), and an unrestricted one
    restricted = make_agent(serves_organisations=[world["acme"]])
    everywhere = make_agent()
    # then the restricted agent sees Acme's and its department's rows only
    assert visible(restricted, Organisation) == {world["acme"].pk, world["acme_sales"].pk}
    acme_people = {world["ann"].pk, world["amy"].pk, world["sid"].pk}
    assert visible(restricted, Person) == acme_people
    assert visible(restricted, Team) == {world["acme_team"].pk}
    # and the unrestricted agent sees every organisation and person
    assert visible(everywhere, Organisation) == ids(Organisation.objects.all())
    assert visible(everywhere, Person) == ids(Person.objects.all())


def test_staff_serving_a_department_do_not_see_its_parent(world):
    agent = make_agent(serves_organisations=[world["acme_sales"]])
    assert visible(agent, Organisation) == {world["acme_sales"].pk}
    assert visible(agent, Person) == {world["sid"].pk}


def test_staff_serving_several_organisations_see_each(world):
    agent = make_agent(serves_organisations=[world["acme_sales"], world["globex"]])
    assert visible(agent, Organisation) == {world["acme_sales"].pk, world["globex"].pk}
    assert visible(agent, Person) == {world["sid"].pk, world["gus"].pk}


def test_moving_a_department_moves_it_out_of_staff_scope(world):
    # given an agent serving Acme, which contains the sales department
    agent = make_agent(serves_organisations=[world["acme"]])
    assert world["sid"].pk in visible(agent, Person)
    # when the department moves under Globex
    services.update_organisation(
        actor=None, organisation=world["acme_sales"], parent=world["globex"]
    )
    # then the agent no longer sees it, nor its people
    agent = Person.objects.get(pk=agent.pk)
    assert visible(agent, Organisation) == {world["acme"].pk}
    assert world["sid"].pk not in visible(agent, Person)


def test_outside_scope_is_404_and_in_scope_without_the_right_is_403(world):
    # given an agent serving Acme (agents may view people but not change them)
    agent = make_agent(serves_organisations=[world["acme"]])
    gus, ann = world["gus"], world["ann"]
    # then a person outside the scope is not found, whatever the action
    with pytest.raises(Http404):
        policy.get_for(agent, Person.objects.all(), gus.pk)
    with pytest.raises(NotFound):
        policy.get_for(agent, Person.objects.all(), gus.pk, "change")
    with pytest.raises(NotFound):
        policy.require(agent, "change", gus)
    # and a person inside it is found, but changing them is forbidden
    assert policy.get_for(agent, Person.objects.all(), ann.pk) == ann
    policy.require(agent, "view", ann)
    with pytest.raises(Forbidden):
        policy.require(agent, "change", ann)
    with pytest.raises(NotFound):
        policy.get_for(agent, Person.objects.all(), ann.pk, "change")


def test_missing_or_malformed_ids_are_not_found(world):
    admin = make_admin()
    for pk in (10**9, "abc", None):
        with pytest.raises(NotFound):
            policy.get_for(admin, Person.objects.all(), pk)


def test_services_answer_404_outside_scope_and_403_inside(world):
    # given an agent serving Acme, who may view people but not change them
    agent = make_agent(serves_organisations=[world["acme"]])
    before = AuditEntry.objects.count()
    # when the agent tries to change people through the service
    with pytest.raises(NotFound):
        services.update_person(actor=agent, person=world["gus"], job_title="Boss")
    with pytest.raises(Forbidden):
        services.update_person(actor=agent, person=world["ann"], job_title="Boss")
    # then nothing changed
    assert set(Person.objects.values_list("job_title", flat=True)) == {""}
    assert AuditEntry.objects.count() == before


def test_api_answers_404_outside_scope_and_403_inside(world, api_client):
    agent = make_agent(serves_organisations=[world["acme"]])
    api_client.force_authenticate(agent)
    outside = api_client.patch(
        reverse("person-detail", args=[world["gus"].pk]), {"job_title": "x"}, format="json"
    )
    inside = api_client.patch(
        reverse("person-detail", args=[world["ann"].pk]), {"job_title": "x"}, format="json"
    )
    assert outside.status_code == 404
    assert inside.status_code == 403
    assert api_client.get(reverse("person-detail", args=[world["gus"].pk])).status_code == 404
    assert api_client.get(reverse("person-detail", args=[world["ann"].pk])).status_code == 200
    assert set(Person.objects.values_list("job_title", flat=True)) == {""}


# -- nobody, and the team lead ---------------------------------------------------------------


def test_anonymous_and_deactivated_people_see_nothing(world):
    ann = world["ann"]
    services.update_person(actor=None, person=ann, is_active=False)
    ann.refresh_from_db()
    for user in (AnonymousUser(), None, ann):
        assert visible(user, Person) == set()
        assert visible(user, Organisation) == set()
        assert not policy.can_add(user, ApiToken, owner=ann)


def test_team_lead_may_change_their_team_but_not_others(world):
    lead = make_person(organisation=world["acme"])
    services.update_team(actor=None, team=world["acme_team"], lead=lead)
    assert visible(lead, Team) == {world["acme_team"].pk}
    assert visible(lead, Team, "change") == {world["acme_team"].pk}
    assert visible(lead, Team, "delete") == set()
    with pytest.raises(NotFound):
        policy.require(lead, "change", world["globex_team"])


# -- auditors -------------------------------------------------------------------------------------


def test_auditor_reads_everything_including_the_audit_log(world):
    # given an auditor restricted to nothing, and a world full of audited changes
    auditor = make_auditor()
    assert AuditEntry.objects.count() > 10
    # then the auditor sees every row of every kind, the audit log too
    for model in (Person, Organisation, Team, ApiToken, Role, AuditEntry):
        assert visible(auditor, model) == ids(model.objects.all()), model
    assert policy.has_model_permission(auditor, AuditEntry, "view")
    # while an agent and a requester do not see the audit log
    assert visible(make_agent(), AuditEntry) == set()
    assert visible(world["ann"], AuditEntry) == set()


def test_auditor_changes_nothing(world):
    # given an auditor
    auditor = make_auditor()
    for model in (Person, Organisation, Team, ApiToken, Role, AuditEntry):
        for action in ("change", "delete"):
            assert visible(auditor, model, action) == set(), (model, action)
        assert not policy.can_add(auditor, model)
    before = AuditEntry.objects.count()
    snapshot = {
        "people": list(Person.objects.values_list("pk", "job_title", "is_active", "password")),
        "organisations": list(Organisation.objects.values_list("pk", "name", "parent", "path")),
        "teams": list(Team.objects.values_list("pk", "name", "description", "lead")),
        "members": list(world["acme_team"].members.values_list("pk", flat=True)),
        "tokens": list(ApiToken.objects.values_list("pk", "revoked_at")),
        "roles": list(Role.objects.values_list("pk", "requires_second_factor")),
    }
    # when the auditor tries every kind of change through the services
    attempts: list[Callable[[], object]] = [
        lambda: services.update_person(actor=auditor, person=world["ann"], job_title="x"),
        lambda: services.create_person(actor=auditor, email="new@example.test", full_name="N"),
        lambda: services.set_password(
            actor=auditor, person=world["ann"], password="another good passphrase"
        ),
        lambda: services.remove_second_factor(actor=auditor, person=world["ann"]),
        lambda: services.create_organisation(actor=auditor, name="New", code="new"),
        lambda: services.update_organisation(
            actor=auditor, organisation=world["acme"], name="Renamed"
        ),
        lambda: services.create_team(actor=auditor, name="New team"),
        lambda: services.update_team(actor=auditor, team=world["acme_team"], description="x"),
        lambda: services.add_team_member(
            actor=auditor, team=world["acme_team"], person=world["gus"]
        ),
        lambda: services.remove_team_member(
            actor=auditor, team=world["acme_team"], person=world["ann"]
        ),
        lambda: services.update_role(
            actor=auditor,
            role=Role.objects.get(code=RoleCode.AGENT),
            requires_second_factor=True,
        ),
        lambda: services.create_api_token(actor=auditor, person=world["ann"], name="x"),
        lambda: services.revoke_api_token(actor=auditor, token=world["tokens"]["Ann"]),
    ]
    # then each is forbidden
    for attempt in attempts:
        with pytest.raises(Forbidden):
            attempt()
    # and nothing changed, and nothing was written to the audit log
    assert AuditEntry.objects.count() == before
    assert snapshot == {
        "people": list(Person.objects.values_list("pk", "job_title", "is_active", "password")),
        "organisations": list(Organisation.objects.values_list("pk", "name", "parent", "path")),
        "teams": list(Team.objects.values_list("pk", "name", "description", "lead")),
        "members": list(world["acme_team"].members.values_list("pk", flat=True)),
        "tokens": list(ApiToken.objects.values_list("pk", "revoked_at")),
        "roles": list(Role.objects.values_list("pk", "requires_second_factor")),
    }


def test_auditor_reads_but_cannot_write_through_the_api(world, api_client):
    auditor = make_auditor()
    api_client.force_authenticate(auditor)
    listed = api_client.get(reverse("person-list"), {"ordering": "id"})
    assert listed.status_code == 200
    assert {row["id"] for row in listed.json()["results"]} == ids(Person.objects.all())
    changed = api_client.patch(
        reverse("organisation-detail", args=[world["acme"].pk]), {"name": "x"}, format="json"
    )
    created = api_client.post(
        reverse("organisation-list"), {"name": "N", "code": "n", "kind": "customer"}, format="json"
    )
    assert changed.status_code == 403
    assert created.status_code == 403
    assert Organisation.objects.get(pk=world["acme"].pk).name == "Acme"
    assert not Organisation.objects.filter(code="n").exists()


def test_audit_entries_of_any_object_are_in_the_auditors_scope(world):
    auditor = make_auditor()
    entry = audit.record(actor=world["ann"], action="test.read", obj=world["gus"])
    assert policy.get_for(auditor, AuditEntry.objects.all(), entry.pk) == entry
    with pytest.raises(NotFound):
        policy.get_for(world["ann"], AuditEntry.objects.all(), entry.pk)


def test_an_unrestricted_right_is_answered_without_a_query_a_restricted_one_looks(
    world, django_assert_num_queries
):
    agent = Person.objects.get(pk=make_agent().pk)
    restricted = Person.objects.get(pk=make_agent(serves_organisations=[world["acme"]]).pk)
    agent.get_all_permissions(), restricted.get_all_permissions()  # loaded once per request
    agent.organisation_scope(), restricted.organisation_scope()
    with django_assert_num_queries(0):
        assert policy.can(agent, "view", world["gus"])
    with django_assert_num_queries(1):
        assert not policy.can(restricted, "view", world["gus"])
    with django_assert_num_queries(1):
        assert policy.can(restricted, "view", world["ann"])
    requester = Person.objects.get(pk=world["ann"].pk)
    assert not policy.can(requester, "view", world["gus"])  # no right: the owner rule decides
