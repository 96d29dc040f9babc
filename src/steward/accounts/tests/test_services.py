"""Accounts services: audit entries, the append-only audit log, organisation trees, teams."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from steward.accounts import services
from steward.accounts.choices import RoleCode
from steward.accounts.models import ApiToken, Organisation, Person, Role, Team, TeamMembership
from steward.accounts.tests.factories import (
    make_admin,
    make_agent,
    make_organisation,
    make_person,
    make_team,
)
from steward.core import context
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def last_entry(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("id")


# -- every change is audited, with the diff and the actor ----------------------------------------


def test_creating_an_organisation_records_its_fields_and_actor():
    # given an administrator, acting on the web
    admin = make_admin()
    # when they create an organisation
    with context.acting("web", request_id="req-1", remote_addr="192.0.2.4"):
        organisation = services.create_organisation(
            actor=admin, name="Acme", code="acme", kind="supplier"
        )
    # then one entry names who, from where, and every field from nothing to its value
    entry = AuditEntry.objects.get(action="organisation.created")
    assert entry.actor == admin
    assert entry.actor_label == admin.email
    assert (entry.source, entry.request_id, entry.remote_addr) == ("web", "req-1", "192.0.2.4")
    assert (entry.object_type, entry.object_id) == ("accounts.organisation", str(organisation.pk))
    assert entry.object_repr == "Acme"
    assert entry.changes == {
        "code": [None, "acme"],
        "is_active": [None, True],
        "kind": [None, "supplier"],
        "name": [None, "Acme"],
        "requesters_see_organisation": [None, False],
    }


def test_updating_an_organisation_records_only_what_changed():
    admin = make_admin()
    organisation = make_organisation(name="Acme")
    parent = make_organisation(name="Holding")
    before = AuditEntry.objects.count()
    services.update_organisation(
        actor=admin, organisation=organisation, name="Acme Ltd", parent=parent
    )
    assert AuditEntry.objects.count() == before + 1
    entry = last_entry("organisation.updated")
    assert entry.actor == admin
    assert entry.changes == {"name": ["Acme", "Acme Ltd"], "parent": [None, parent.pk]}


def test_an_update_that_changes_nothing_records_nothing():
    organisation = make_organisation(name="Acme")
    person = make_person(job_title="Clerk")
    team = make_team(description="Desk")
    before = AuditEntry.objects.count()
    services.update_organisation(actor=None, organisation=organisation, name="Acme")
    services.update_person(actor=None, person=person, job_title="Clerk")
    services.update_team(actor=None, team=team, description="Desk")
    assert AuditEntry.objects.count() == before


def test_system_changes_are_recorded_as_the_system():
    organisation = make_organisation(name="Acme")
    entry = AuditEntry.objects.get(action="organisation.created", object_id=str(organisation.pk))
    assert entry.actor is None
    assert entry.actor_label == "system"
    assert entry.source == "system"


def test_people_changes_are_recorded_with_diff_and_actor():
    # given an administrator and an organisation
    admin = make_admin()
    acme = make_organisation()
    # when they create a person, then change her details and roles
    person = services.create_person(
        actor=admin,
        email="Ann@Example.test",
        full_name="Ann",
        organisation=acme,
        roles=[RoleCode.AGENT],
        serves_organisations=[acme],
    )
    services.update_person(
        actor=admin, person=person, job_title="Analyst", roles=[RoleCode.AGENT, RoleCode.AUDITOR]
    )
    # then both are in the log with their diffs
    created = AuditEntry.objects.get(action="person.created", object_id=str(person.pk))
    assert created.actor == admin
    assert created.changes["email"] == [None, "ann@example.test"]
    assert created.changes["organisation"] == [None, acme.pk]
    assert created.changes["roles"] == [None, [Role.objects.get(code=RoleCode.AGENT).pk]]
    assert created.changes["serves_organisations"] == [None, [acme.pk]]
    updated = last_entry("person.updated")
    assert updated.actor == admin
    agent, auditor = (Role.objects.get(code=c).pk for c in (RoleCode.AGENT, RoleCode.AUDITOR))
    assert updated.changes == {
        "job_title": ["", "Analyst"],
        "roles": [[agent], sorted([agent, auditor])],
    }


def test_password_changes_are_recorded_without_the_password():
    person = make_person()
    services.set_password(
        actor=person,
        person=person,
        password="a brand new passphrase",
        current_password="correct horse battery staple",
    )
    entry = last_entry("person.password_set")
    assert entry.actor == person
    assert entry.changes == {}
    assert person.check_password("a brand new passphrase")


def test_team_and_role_changes_are_recorded_with_diff_and_actor():
    admin = make_admin()
    member = make_person()
    team = services.create_team(actor=admin, name="Desk", members=[member])
    created = AuditEntry.objects.get(action="team.created", object_id=str(team.pk))
    assert created.actor == admin
    assert created.changes["name"] == [None, "Desk"]
    assert created.changes["members"] == [None, [member.pk]]
    services.update_team(actor=admin, team=team, support_line=2)
    assert last_entry("team.updated").changes == {"support_line": [1, 2]}
    role = Role.objects.get(code=RoleCode.CAB_MEMBER)
    services.update_role(actor=admin, role=role, requires_second_factor=True)
    entry = last_entry("role.updated")
    assert entry.actor == admin
    assert entry.changes == {"requires_second_factor": [False, True]}


def test_token_changes_are_recorded_with_actor():
    person = make_person()
    token, secret = services.create_api_token(actor=person, person=person, name="ci")
    created = AuditEntry.objects.get(action="api_token.created")
    assert created.actor == person
    assert created.changes["person"] == person.pk
    assert secret not in str(created.changes)
    services.revoke_api_token(actor=person, token=token)
    services.revoke_api_token(actor=person, token=token)  # twice: recorded once
    assert AuditEntry.objects.filter(action="api_token.revoked").count() == 1


def test_deactivating_a_person_revokes_their_tokens_on_record():
    admin = make_admin()
    person = make_person()
    token, _ = services.create_api_token(actor=None, person=person, name="ci")
    services.update_person(actor=admin, person=person, is_active=False)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert last_entry("person.updated").changes == {"is_active": [True, False]}
    assert last_entry("api_token.revoked").actor == admin


# -- the audit log is append-only in the database ------------------------------------------------


def _one_entry() -> AuditEntry:
    make_organisation(name="Acme")
    return AuditEntry.objects.latest("id")


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE core_auditentry SET action = 'forged' WHERE id = %s",
        "UPDATE core_auditentry SET changes = '{}' WHERE id = %s",
        "DELETE FROM core_auditentry WHERE id = %s",
    ],
    ids=["update-action", "update-changes", "delete"],
)
def test_the_database_refuses_to_change_or_delete_audit_entries(sql):
    # given an audit entry
    entry = _one_entry()
    # when somebody goes around the application with raw SQL
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, [entry.pk])
    # then the entry is unchanged
    fresh = AuditEntry.objects.get(pk=entry.pk)
    assert (fresh.action, fresh.changes) == (entry.action, entry.changes)


def test_the_orm_cannot_change_or_delete_audit_entries_either():
    entry = _one_entry()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError), transaction.atomic():
        entry.action = "forged"
        entry.save()
    assert AuditEntry.objects.get(pk=entry.pk).action == "organisation.created"


def test_the_database_refuses_to_empty_the_audit_log():
    entry = _one_entry()
    sql = (
        "TRUNCATE core_auditentry"
        if connection.vendor == "postgresql"
        else "DELETE FROM core_auditentry"
    )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql)
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_new_audit_entries_can_still_be_appended():
    before = AuditEntry.objects.count()
    make_organisation()
    assert AuditEntry.objects.count() == before + 1


# -- organisation trees ----------------------------------------------------------------------------


@pytest.fixture
def tree() -> dict[str, Organisation]:
    """root -> (a -> (a1 -> a1x), b); other."""
    root = make_organisation(name="Root")
    a = make_organisation(name="A", parent=root)
    a1 = make_organisation(name="A1", parent=a)
    a1x = make_organisation(name="A1x", parent=a1)
    b = make_organisation(name="B", parent=root)
    other = make_organisation(name="Other")
    return {"root": root, "a": a, "a1": a1, "a1x": a1x, "b": b, "other": other}


def paths() -> dict[str, str]:
    return dict(Organisation.objects.values_list("name", "path"))


def test_paths_are_the_chain_of_ancestor_ids(tree):
    root, a, a1, a1x = tree["root"], tree["a"], tree["a1"], tree["a1x"]
    assert root.path == f"{root.pk:08d}/"
    assert a1x.path == f"{root.pk:08d}/{a.pk:08d}/{a1.pk:08d}/{a1x.pk:08d}/"
    assert a1x.depth == 3
    subtree = Organisation.objects.subtree(a)
    assert set(subtree.values_list("name", flat=True)) == {"A", "A1", "A1x"}


@pytest.mark.parametrize("target", ["a", "a1", "a1x"])
def test_an_organisation_cannot_move_under_itself_or_its_descendants(tree, target):
    # given the tree, and its paths and log before
    before, entries = paths(), AuditEntry.objects.count()
    # when A is moved under itself or something inside it
    with pytest.raises(RuleViolation) as refused:
        services.update_organisation(
            actor=make_admin(), organisation=tree["a"], parent=tree[target]
        )
    # then it is refused on the parent field, and nothing moved
    assert refused.value.message_dict == {"parent": ["An organisation cannot sit inside itself."]}
    assert paths() == before
    assert Organisation.objects.get(pk=tree["a"].pk).parent == tree["root"]
    assert AuditEntry.objects.count() == entries + 1  # the admin made for the attempt


def test_a_stale_parent_object_cannot_sneak_a_cycle_in(tree):
    # given a copy of A1 loaded before anything moves
    stale_a1 = Organisation.objects.get(pk=tree["a1"].pk)
    # when root is moved under Other, then A is offered the stale A1 as parent
    services.update_organisation(actor=None, organisation=tree["root"], parent=tree["other"])
    with pytest.raises(RuleViolation):
        services.update_organisation(actor=None, organisation=tree["a"], parent=stale_a1)
    assert Organisation.objects.get(pk=tree["a"].pk).parent == tree["root"]


def test_a_new_organisation_under_a_stale_parent_gets_the_current_path(tree):
    stale_a = Organisation.objects.get(pk=tree["a"].pk)
    services.update_organisation(actor=None, organisation=tree["a"], parent=tree["other"])
    child = services.create_organisation(actor=None, name="C", code="c", parent=stale_a)
    assert child.path == f"{tree['other'].pk:08d}/{tree['a'].pk:08d}/{child.pk:08d}/"


def test_moving_an_organisation_moves_its_whole_subtree(tree):
    # given the tree
    root, a, a1, a1x, b, other = (tree[k] for k in ("root", "a", "a1", "a1x", "b", "other"))
    # when A (with its child and grandchild) moves under Other
    services.update_organisation(actor=None, organisation=a, parent=other)
    # then A and everything under it get paths under Other; the rest stays
    prefix = f"{other.pk:08d}/{a.pk:08d}/"
    assert paths() == {
        "Root": f"{root.pk:08d}/",
        "A": prefix,
        "A1": f"{prefix}{a1.pk:08d}/",
        "A1x": f"{prefix}{a1.pk:08d}/{a1x.pk:08d}/",
        "B": f"{root.pk:08d}/{b.pk:08d}/",
        "Other": f"{other.pk:08d}/",
    }
    assert set(Organisation.objects.subtree(other).values_list("name", flat=True)) == {
        "Other",
        "A",
        "A1",
        "A1x",
    }
    assert last_entry("organisation.updated").changes == {"parent": [root.pk, other.pk]}


def test_moving_an_organisation_to_the_top(tree):
    a, a1 = tree["a"], tree["a1"]
    services.update_organisation(actor=None, organisation=a, parent=None)
    assert paths()["A"] == f"{a.pk:08d}/"
    assert paths()["A1"] == f"{a.pk:08d}/{a1.pk:08d}/"


def test_moving_a_leaf_under_a_sibling_subtree(tree):
    a1x, b = tree["a1x"], tree["b"]
    services.update_organisation(actor=None, organisation=a1x, parent=b)
    assert paths()["A1x"] == f"{b.path}{a1x.pk:08d}/"


# -- teams -------------------------------------------------------------------------------------


def test_team_lead_is_always_a_member():
    # given a lead who is not named among the members
    lead, member = make_person(), make_person()
    team = services.create_team(actor=None, name="Desk", lead=lead, members=[member])
    # then the lead is a member all the same
    assert set(team.members.all()) == {lead, member}
    # when another person becomes lead
    new_lead = make_person()
    services.update_team(actor=None, team=team, lead=new_lead)
    # then they join too, and the old lead stays a member
    assert set(team.members.all()) == {lead, member, new_lead}
    # and a lead named among the members is not added twice
    both = services.create_team(actor=None, name="Other", lead=lead, members=[lead])
    assert TeamMembership.objects.filter(team=both).count() == 1


def test_the_lead_cannot_be_removed_from_their_team():
    lead = make_person()
    team = make_team(lead=lead)
    entries = AuditEntry.objects.count()
    with pytest.raises(RuleViolation) as refused:
        services.remove_team_member(actor=None, team=team, person=lead)
    assert "person" in refused.value.message_dict
    assert list(team.members.all()) == [lead]
    assert AuditEntry.objects.count() == entries


def test_adding_and_removing_members_is_recorded_once():
    team, person = make_team(), make_person()
    services.add_team_member(actor=None, team=team, person=person)
    services.add_team_member(actor=None, team=team, person=person)
    assert AuditEntry.objects.filter(action="team.member_added").count() == 1
    services.remove_team_member(actor=None, team=team, person=person)
    services.remove_team_member(actor=None, team=team, person=person)
    assert AuditEntry.objects.filter(action="team.member_removed").count() == 1
    assert not team.members.exists()


def test_team_lead_may_describe_their_team_but_not_rename_it():
    lead = make_person()
    team = make_team(name="Desk", lead=lead)
    services.update_team(actor=lead, team=team, description="We answer the phone")
    with pytest.raises(Forbidden):
        services.update_team(actor=lead, team=team, name="Renamed")
    team.refresh_from_db()
    assert (team.name, team.description) == ("Desk", "We answer the phone")


def test_team_names_are_unique_case_insensitively():
    make_team(name="Service Desk")
    with pytest.raises(RuleViolation):
        services.create_team(actor=None, name=" service desk ")
    assert Team.objects.count() == 1


# -- people ------------------------------------------------------------------------------------


def test_duplicate_email_is_refused_case_insensitively():
    # given a person
    make_person(email="ann@example.test")
    count, entries = Person.objects.count(), AuditEntry.objects.count()
    # when another is created with the same address in another case
    with pytest.raises(RuleViolation) as refused:
        make_person(email="  ANN@Example.Test ")
    # then it is refused on the e-mail field and nothing was written
    assert refused.value.message_dict == {
        "email": ["Somebody already signs in with this e-mail address."]
    }
    assert Person.objects.count() == count
    assert AuditEntry.objects.count() == entries


def test_changing_email_to_a_taken_one_is_refused_case_insensitively():
    make_person(email="ann@example.test")
    bob = make_person(email="bob@example.test")
    with pytest.raises(RuleViolation) as refused:
        services.update_person(actor=None, person=bob, email="Ann@EXAMPLE.test")
    assert "email" in refused.value.message_dict
    bob.refresh_from_db()
    assert bob.email == "bob@example.test"
    # and changing one's own address's case is fine, stored lower-case
    services.update_person(actor=None, person=bob, email="BOB@example.test")
    bob.refresh_from_db()
    assert bob.email == "bob@example.test"


def test_weak_passwords_are_refused():
    count = Person.objects.count()
    with pytest.raises(RuleViolation) as refused:
        make_person(password="12345678901")
    assert "password" in refused.value.message_dict
    assert Person.objects.count() == count


def test_nobody_deactivates_themselves_or_drops_their_own_admin_role():
    admin = make_admin()
    with pytest.raises(RuleViolation):
        services.update_person(actor=admin, person=admin, is_active=False)
    with pytest.raises(RuleViolation):
        services.update_person(actor=admin, person=admin, roles=[RoleCode.AGENT])
    admin = Person.objects.get(pk=admin.pk)
    assert admin.is_active
    assert admin.has_role(RoleCode.ADMINISTRATOR)


def test_deactivated_people_cannot_get_tokens():
    person = make_person()
    services.update_person(actor=None, person=person, is_active=False)
    person.refresh_from_db()
    with pytest.raises(RuleViolation):
        services.create_api_token(actor=None, person=person, name="x")
    assert not ApiToken.objects.filter(person=person).exists()


@pytest.mark.django_db
def test_permissions_of_a_person_and_their_roles_come_in_one_query(
    django_assert_num_queries: object,
) -> None:
    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import Permission

    from steward.accounts.backends import RoleBackend

    # given an agent who also holds one permission of their own
    agent = make_agent()
    own = Permission.objects.get(codename="view_auditentry")
    agent.user_permissions.add(own)
    expected = ModelBackend().get_user_permissions(agent) | {
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(roles__people=agent).select_related("content_type")
    }
    fresh = Person.objects.get(pk=agent.pk)
    # when the role backend answers, it asks once and knows both kinds
    with django_assert_num_queries(1):  # type: ignore[operator]
        granted = RoleBackend().get_all_permissions(fresh)
        assert fresh.has_perm("core.view_auditentry")
        assert fresh.has_perm("tickets.change_ticket")
    assert granted == expected and "core.view_auditentry" in granted
    # and an inactive person has none, a superuser has all
    fresh.is_active = False
    assert RoleBackend().get_all_permissions(fresh) == set()
    chief = Person.objects.get(pk=make_agent().pk)
    chief.is_superuser = True
    assert len(RoleBackend().get_all_permissions(chief)) == Permission.objects.count()
