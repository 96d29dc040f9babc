"""The data generator keeps its proportions and the accounts invariants at a tiny scale."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Count

from bench.generate import Counts, GenerationError, generate
from steward.accounts.choices import OrganisationKind, RoleCode
from steward.accounts.models import Organisation, Person, Team

PEOPLE = 400


@pytest.fixture
def generated(db: None) -> Counts:
    return generate(people=PEOPLE, seed=7).counts


@pytest.mark.django_db
def test_generates_people_in_proportion(generated: Counts) -> None:
    # given a database filled with 400 generated people (the fixture)
    # when we count staff: anybody holding a role other than requester
    people = Person.objects.count()
    staff = Person.objects.exclude(roles__code=RoleCode.REQUESTER).distinct().count()

    # then
    assert people == PEOPLE
    assert 0.05 <= staff / people <= 0.12
    assert staff == generated.staff


@pytest.mark.django_db
def test_everybody_holds_a_role_and_a_unique_lowercase_email(generated: Counts) -> None:
    # given the generated people
    emails = list(Person.objects.values_list("email", flat=True))

    # then
    assert not Person.objects.filter(roles__isnull=True).exists()
    assert len(set(emails)) == len(emails)
    assert all(email == email.lower() for email in emails)


@pytest.mark.django_db
def test_organisation_paths_follow_their_parents(generated: Counts) -> None:
    # given the generated organisations
    organisations = list(Organisation.objects.select_related("parent"))

    # then every path is the parent's path plus the zero-padded id
    assert len(organisations) == generated.organisations
    assert any(o.kind == OrganisationKind.DEPARTMENT for o in organisations)
    for organisation in organisations:
        parent_path = organisation.parent.path if organisation.parent else ""
        assert organisation.path == f"{parent_path}{organisation.pk:08d}/"


@pytest.mark.django_db
def test_every_team_has_members_and_a_lead_among_them(generated: Counts) -> None:
    # given the generated teams
    teams = list(Team.objects.select_related("lead"))
    sizes = Team.objects.annotate(size=Count("memberships")).values_list("size", flat=True)

    # then
    assert len(teams) == generated.teams
    assert min(sizes) > 0
    for team in teams:
        assert team.lead_id is not None and team.lead is not None
        assert team.memberships.filter(person_id=team.lead_id).exists()
        assert team.lead.has_role(RoleCode.TEAM_LEAD)


def _people_generated(*, batch_size: int) -> list[tuple[str, str, str]]:
    """Generate in a savepoint, read the people back and roll the savepoint back."""

    class Undo(Exception):
        pass

    people: list[tuple[str, str, str]] = []
    try:
        with transaction.atomic():
            generate(people=150, seed=3, batch_size=batch_size)
            people = list(
                Person.objects.order_by("email").values_list(
                    "email", "full_name", "organisation__code"
                )
            )
            raise Undo
    except Undo:
        pass
    return people


@pytest.mark.django_db
def test_the_batch_size_does_not_change_the_data() -> None:
    # when the same seed is generated twice with different batch sizes
    small_batches = _people_generated(batch_size=7)
    large_batches = _people_generated(batch_size=500)

    # then the same people come out, in the same organisations
    assert len(small_batches) == 150
    assert small_batches == large_batches


@pytest.mark.django_db
def test_refuses_a_database_that_holds_generated_data(generated: Counts) -> None:
    # given a database filled once (the fixture)
    # when we generate again, then it refuses and adds nobody
    with pytest.raises(GenerationError):
        generate(people=PEOPLE, seed=7)
    assert Person.objects.count() == PEOPLE
