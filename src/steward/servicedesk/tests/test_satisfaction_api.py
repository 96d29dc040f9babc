"""/api/v1/satisfaction-ratings/: requesters rate their own tickets, staff read in scope."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.tests.factories import make_agent, make_person
from steward.core.testing import ApiResourceTests, assert_problem
from steward.incidents.tests.factories import make_incident
from steward.servicedesk import satisfaction
from steward.servicedesk.models.satisfaction import SatisfactionRating
from steward.servicedesk.tests.portal_helpers import make_requester, resolved_incident


def make_rating(organisation: Any = None, score: int = 4) -> SatisfactionRating:
    requester = make_requester(organisation=organisation) if organisation else make_requester()
    incident, _ = resolved_incident(requester)
    return satisfaction.rate(actor=requester, ticket=incident, score=score, comment="Fine")


def client_for(person: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


class TestSatisfactionRatingApi(ApiResourceTests):
    basename = "satisfaction-rating"
    list_query_budget = 8
    filter_cases: ClassVar[list[tuple[dict[str, Any], Callable[[Any], bool]]]] = [
        ({"score": "5"}, lambda r: r.score == 5),
        ({"score": ["1", "5"]}, lambda r: r.score in (1, 5)),
    ]

    def make_object(self, organisation: Any) -> SatisfactionRating:
        count = SatisfactionRating.objects.count()
        return make_rating(organisation, score=5 if count % 2 else 3)

    def allowed_user(self, organisation: Any) -> Any:
        return make_agent(organisation=organisation)

    def denied_user(self, organisation: Any) -> Any:
        return make_person(organisation=organisation)


@pytest.mark.django_db
def test_a_requester_creates_updates_and_reads_only_their_own_rating() -> None:
    # given a requester's resolved incident and somebody else's rating
    incident, _ = resolved_incident()
    requester = incident.requester
    other = make_rating()
    client = client_for(requester)
    url = reverse("satisfaction-rating-list")
    # when they rate it through the API
    created = client.post(
        url, {"ticket": incident.pk, "score": 2, "comment": "Slow"}, format="json"
    )
    # then it is recorded as theirs
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["score"], body["comment"], body["rated_by"]) == (2, "Slow", requester.pk)
    assert body["ticket_number"] == incident.number
    # and they may change it
    detail = reverse("satisfaction-rating-detail", args=[body["id"]])
    changed = client.patch(detail, {"score": 5}, format="json")
    assert changed.status_code == 200, changed.content
    assert SatisfactionRating.objects.get(pk=body["id"]).score == 5
    assert SatisfactionRating.objects.get(pk=body["id"]).comment == "Slow"
    # they list their own only; somebody else's is a 404 (never a 403)
    assert {row["id"] for row in client.get(url).json()["results"]} == {body["id"]}
    assert_problem(client.get(reverse("satisfaction-rating-detail", args=[other.pk])), 404)
    before = SatisfactionRating.objects.get(pk=other.pk).score
    patched = client.patch(
        reverse("satisfaction-rating-detail", args=[other.pk]), {"score": 1}, format="json"
    )
    assert_problem(patched, 404)
    assert SatisfactionRating.objects.get(pk=other.pk).score == before


@pytest.mark.django_db
def test_rating_through_the_api_is_refused_for_others_tickets_and_open_ones() -> None:
    # given a resolved incident of somebody else and an open one of the requester
    theirs, agent = resolved_incident()
    mine = make_incident(requester=make_requester())
    url = reverse("satisfaction-rating-list")
    # then another requester guessing the ticket id gets 403 and nothing is created
    stranger = client_for(make_requester())
    assert_problem(stranger.post(url, {"ticket": theirs.pk, "score": 1}, format="json"), 403)
    # the agent who sees it may not rate in the requester's place
    assert_problem(
        client_for(agent).post(url, {"ticket": theirs.pk, "score": 5}, format="json"), 403
    )
    # an open ticket cannot be rated yet, a bad score is a field error
    owner = client_for(mine.requester)
    refused = assert_problem(owner.post(url, {"ticket": mine.pk, "score": 4}, format="json"), 400)
    assert "ticket" in str(refused)
    requester = client_for(theirs.requester)
    bad = assert_problem(requester.post(url, {"ticket": theirs.pk, "score": 7}, format="json"), 400)
    assert "score" in str(bad)
    assert not SatisfactionRating.objects.exists()


@pytest.mark.django_db
def test_staff_filter_ratings_by_ticket_and_team() -> None:
    one = make_rating()
    two = make_rating()
    client = client_for(make_agent())
    url = reverse("satisfaction-rating-list")
    by_ticket = client.get(url, {"ticket": one.ticket.pk}).json()["results"]
    assert [row["id"] for row in by_ticket] == [one.pk]
    team = two.ticket.team
    assert team is not None
    by_team = client.get(url, {"team": team.pk}).json()["results"]
    assert [row["id"] for row in by_team] == [two.pk]
    after = client.get(url, {"rated_after": "2999-01-01T00:00:00Z"}).json()["results"]
    assert after == []
