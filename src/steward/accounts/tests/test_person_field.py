"""Choosing a person among thousands: the e-mail box, its suggestions and who they show."""

from __future__ import annotations

from typing import Any

import pytest
from django import forms
from django.test import Client
from django.urls import reverse

from steward.accounts.fields import PersonField
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person

pytestmark = pytest.mark.django_db


class CallerForm(forms.Form):
    caller = PersonField()

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["caller"].queryset = Person.objects.visible_to(user)  # type: ignore[attr-defined]


def suggestions(user: Person, text: str) -> Any:
    client = Client()
    client.force_login(user)
    return client.get(reverse("accounts:person_suggest"), {"caller": text})


def test_the_field_takes_an_address_in_any_case_or_an_id_and_nothing_out_of_reach() -> None:
    agent = make_agent()
    carl = make_person(email="carl@example.test", full_name="Carl Caller")
    assert CallerForm({"caller": " CARL@example.test "}, user=agent).is_valid()
    by_id = CallerForm({"caller": str(carl.pk)}, user=agent)
    assert by_id.is_valid() and by_id.cleaned_data["caller"] == carl
    unknown = CallerForm({"caller": "nobody@example.test"}, user=agent)
    assert not unknown.is_valid()
    assert "within your reach" in unknown.errors["caller"][0]
    # an agent serving one organisation cannot name a person of another, by address or id
    served, other = make_organisation(), make_organisation()
    limited = make_agent(organisation=served, serves_organisations=[served])
    stranger = make_person(email="stranger@example.test", organisation=other)
    assert not CallerForm({"caller": "stranger@example.test"}, user=limited).is_valid()
    assert not CallerForm({"caller": str(stranger.pk)}, user=limited).is_valid()


def test_the_box_shows_the_address_of_the_initial_person() -> None:
    agent = make_agent()
    carl = make_person(email="carl@example.test")
    html = str(CallerForm(initial={"caller": carl.pk}, user=agent)["caller"])
    assert 'value="carl@example.test"' in html
    assert 'list="person-suggestions"' in html
    assert f'hx-get="{reverse("accounts:person_suggest")}"' in html


def test_suggestions_match_names_and_addresses_at_most_ten_within_reach() -> None:
    agent = make_agent()
    make_person(email="carl@example.test", full_name="Carl Caller")
    for n in range(12):
        make_person(email=f"cara{n}@example.test", full_name=f"Cara {n:02}")
    other = make_organisation()
    home = make_organisation()
    limited = make_agent(organisation=home, serves_organisations=[home])
    make_person(email="cari@example.test", full_name="Cari Elsewhere", organisation=other)
    by_name = suggestions(agent, "Carl")
    assert by_name.status_code == 200
    assert '<option value="carl@example.test">Carl Caller</option>' in by_name.content.decode()
    assert suggestions(agent, "cara").content.decode().count("<option") == 10
    assert suggestions(agent, "c").content.decode().count("<option") == 0  # too short
    assert "cari@example.test" not in suggestions(limited, "cari").content.decode()


def test_requesters_get_no_suggestions(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    requester = make_person()
    make_person(email="carl@example.test", full_name="Carl Caller")
    assert suggestions(requester, "carl").status_code == 404


def test_suggestions_cost_the_same_queries_for_more_people(
    django_assert_max_num_queries: Any,
) -> None:
    agent = make_agent()
    for n in range(30):
        make_person(email=f"dana{n}@example.test", full_name=f"Dana {n}")
    client = Client()
    client.force_login(agent)
    client.get(reverse("accounts:person_suggest"), {"q": "dana"})
    with django_assert_max_num_queries(8):
        client.get(reverse("accounts:person_suggest"), {"q": "dana"})
