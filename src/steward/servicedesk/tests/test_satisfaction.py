"""Satisfaction ratings: the service, the portal, the one-click link and the managers' report."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any
from unittest import mock

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from steward.accounts.choices import RoleCode
from steward.accounts.tests.factories import make_agent, make_auditor, make_person, make_team
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.incidents import services as incidents
from steward.incidents.tests.factories import make_incident
from steward.servicedesk import satisfaction
from steward.servicedesk.models.satisfaction import SatisfactionRating
from steward.servicedesk.tests.portal_helpers import (
    make_requester,
    resolved_incident,
    signed_in,
)

pytestmark = pytest.mark.django_db


def audit_actions(rating: SatisfactionRating) -> list[str]:
    return list(
        AuditEntry.objects.for_object(rating).order_by("id").values_list("action", flat=True)
    )


# --- the service --------------------------------------------------------------------------------


def test_the_requester_rates_a_resolved_ticket_and_rerating_updates_and_audits() -> None:
    # given a resolved incident
    incident, _ = resolved_incident()
    requester = incident.requester
    # when its requester rates it, then changes the rating, then repeats the same one
    first = satisfaction.rate(actor=requester, ticket=incident, score=3, comment="ok")
    second = satisfaction.rate(actor=requester, ticket=incident, score=5, comment="great")
    satisfaction.rate(actor=requester, ticket=incident, score=5, comment="great")
    # then there is one rating, updated, and one audit entry per change
    assert first.pk == second.pk
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.comment, rating.rated_by) == (5, "great", requester)
    assert rating.updated_at >= rating.rated_at
    assert audit_actions(rating) == ["satisfaction_rating.created", "satisfaction_rating.updated"]
    updated = AuditEntry.objects.get(action="satisfaction_rating.updated")
    assert updated.changes["score"] == [3, 5]
    assert updated.actor == requester


def test_only_the_requester_rates_and_only_a_resolved_or_closed_ticket() -> None:
    # given an open incident, a resolved one, an agent and a stranger
    open_incident = make_incident(requester=make_requester())
    resolved, agent = resolved_incident()
    stranger = make_requester()
    # then the open one cannot be rated yet
    with pytest.raises(RuleViolation):
        satisfaction.rate(actor=open_incident.requester, ticket=open_incident, score=4)
    # the agent who sees it may not rate it, the stranger does not even see it
    with pytest.raises(Forbidden):
        satisfaction.rate(actor=agent, ticket=resolved, score=5)
    with pytest.raises(NotFound):
        satisfaction.rate(actor=stranger, ticket=resolved, score=1)
    # scores are 1 to 5
    for bad in (0, 6, "five", None, True):
        with pytest.raises(RuleViolation):
            satisfaction.rate(actor=resolved.requester, ticket=resolved, score=bad)  # type: ignore[arg-type]
    assert not SatisfactionRating.objects.exists()
    # a closed one may be rated
    closed = incidents.transition_incident(actor=agent, incident=resolved, to="closed")
    satisfaction.rate(actor=closed.requester, ticket=closed, score=2)
    assert SatisfactionRating.objects.get().score == 2


# --- the portal ---------------------------------------------------------------------------------


def test_rating_in_the_portal_with_and_without_htmx() -> None:
    # given a resolved incident on the portal
    incident, _ = resolved_incident()
    client = signed_in(incident.requester)
    url = reverse("portal:ticket", args=[incident.number])
    page = client.get(url)
    assert page.context["may_rate"]
    assert 'data-testid="rating-form"' in page.content.decode()
    # when they rate through the form
    done = client.post(
        reverse("portal:ticket_rate", args=[incident.number]), {"score": "4", "comment": "Nice"}
    )
    assert done.status_code == 302
    assert SatisfactionRating.objects.get().score == 4
    # and change it through htmx, which answers with the rating panel only
    fragment = client.post(
        reverse("portal:ticket_rate", args=[incident.number]),
        {"score": "2", "comment": "Slow"},
        HTTP_HX_REQUEST="true",
    )
    assert fragment.templates[0].name == "portal/_rating.html"
    assert "You rated this 2 of 5" in fragment.content.decode()
    assert SatisfactionRating.objects.get().comment == "Slow"
    # a score outside 1-5 is a form error
    bad = client.post(reverse("portal:ticket_rate", args=[incident.number]), {"score": "9"})
    assert bad.status_code == 400
    assert SatisfactionRating.objects.get().score == 2


def test_an_open_ticket_offers_no_rating() -> None:
    incident = make_incident(requester=make_requester())
    client = signed_in(incident.requester)
    page = client.get(reverse("portal:ticket", args=[incident.number]))
    assert not page.context["may_rate"]
    refused = client.post(reverse("portal:ticket_rate", args=[incident.number]), {"score": "5"})
    assert refused.status_code == 400
    assert not SatisfactionRating.objects.exists()


# --- the one-click link -------------------------------------------------------------------------


def test_rating_links_are_absolute_one_per_score(settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PUBLIC_URL": "https://desk.example.org/"}
    incident, _ = resolved_incident()
    links = satisfaction.rating_links(incident)
    assert sorted(links) == [1, 2, 3, 4, 5]
    for score, url in links.items():
        assert url.startswith("https://desk.example.org/portal/rate/")
        assert url.endswith(f"/{score}/")


def test_one_click_records_the_score_at_once_idempotently_then_takes_a_comment() -> None:
    # given a resolved incident and the links of its resolution e-mail
    incident, _ = resolved_incident()
    link = satisfaction.rating_links(incident)[4].split("http://localhost:8000", 1)[1]
    client = Client()  # not signed in: the token says who rates
    # when the requester clicks "4", twice
    first = client.get(link)
    second = client.get(link)
    # then the score is recorded once, with one audit entry
    assert first.status_code == second.status_code == 200
    rating = SatisfactionRating.objects.get()
    assert (rating.score, rating.rated_by) == (4, incident.requester)
    assert audit_actions(rating) == ["satisfaction_rating.created"]
    assert "We recorded 4 of 5" in first.content.decode()
    # when they add a comment on the page that follows
    saved = client.post(link, {"comment": "Fixed before lunch."})
    # then the comment is saved with the score
    assert saved.status_code == 200
    rating.refresh_from_db()
    assert (rating.score, rating.comment) == (4, "Fixed before lunch.")
    # and clicking another score later keeps the comment
    client.get(satisfaction.rating_links(incident)[5].split("8000", 1)[1])
    rating.refresh_from_db()
    assert (rating.score, rating.comment) == (5, "Fixed before lunch.")


def _path(token: str, score: int = 5) -> str:
    return reverse("portal:rate_link", args=[token, score])


def test_a_forged_link_records_nothing_and_says_so() -> None:
    incident, _ = resolved_incident()
    token = satisfaction.make_token(incident)
    forged = signing.dumps({"t": incident.pk, "p": incident.requester_id}, salt="other")
    for bad in (token[:-2] + "xx", forged, "nonsense"):
        response = Client().get(_path(bad))
        assert response.status_code == 400, bad
        assert "not valid" in response.content.decode()
    assert not SatisfactionRating.objects.exists()


def test_an_expired_link_records_nothing_and_says_so() -> None:
    incident, _ = resolved_incident()
    with mock.patch("django.core.signing.time.time", return_value=time.time() - 31 * 86400):
        token = satisfaction.make_token(incident)
    response = Client().get(_path(token))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not SatisfactionRating.objects.exists()


def test_a_link_of_another_person_records_nothing() -> None:
    # given a link for a resolved incident
    incident, _ = resolved_incident()
    token = satisfaction.make_token(incident)
    # when somebody else, signed in, follows it
    other = signed_in(make_requester())
    response = other.get(_path(token))
    # then nothing is recorded and they are told why
    assert response.status_code == 403
    assert "somebody else" in response.content.decode()
    assert not SatisfactionRating.objects.exists()
    # a token naming somebody who is not the requester (or a ticket that is not theirs)
    stranger_token = signing.dumps(
        {"t": incident.pk, "p": make_requester().pk}, salt=satisfaction.TOKEN_SALT
    )
    assert Client().get(_path(stranger_token)).status_code == 404
    # a score outside 1-5 and a ticket not resolved record nothing either
    assert Client().get(_path(token, 9)).status_code == 400
    open_one = make_incident(requester=make_requester())
    assert Client().get(_path(satisfaction.make_token(open_one))).status_code == 409
    assert not SatisfactionRating.objects.exists()


# --- the managers' report -----------------------------------------------------------------------


def _rated(team_name: str, score: int, comment: str = "", when: str | None = None) -> None:
    from steward.accounts.models import Team
    from steward.accounts.services import add_team_member

    lead = make_agent()
    team = Team.objects.filter(name=team_name).first() or make_team(name=team_name)
    add_team_member(actor=None, team=team, person=lead)
    incident = make_incident(requester=make_requester(), team=team, assignee=lead)
    incident = incidents.transition_incident(actor=lead, incident=incident, to="in_progress")
    incident = incidents.resolve_incident(
        actor=lead, incident=incident, resolution_code="user_error", resolution="Explained."
    )
    rating = satisfaction.rate(
        actor=incident.requester, ticket=incident, score=score, comment=comment
    )
    if when:
        SatisfactionRating.objects.filter(pk=rating.pk).update(
            rated_at=datetime.fromisoformat(when), updated_at=datetime.fromisoformat(when)
        )


def test_the_report_shows_average_and_distribution_per_team_and_month(
    django_assert_max_num_queries: Any,
) -> None:
    # given ratings of two teams in two months
    _rated("Desk A", 5, "Lovely", when="2026-01-10T10:00:00+00:00")
    _rated("Desk A", 3, when="2026-02-03T10:00:00+00:00")
    _rated("Desk B", 1, "Never again", when="2026-02-05T10:00:00+00:00")
    lead = make_person(roles=[RoleCode.TEAM_LEAD])
    client = signed_in(lead)
    # when a team lead opens the report
    with django_assert_max_num_queries(14):
        page = client.get(reverse("servicedesk:satisfaction_report"))
    # then the numbers are the database's aggregates
    assert page.status_code == 200
    overall = page.context["overall"]
    assert (overall.count, overall.average) == (3, 3.0)
    assert overall.distribution == {1: 1, 2: 0, 3: 1, 4: 0, 5: 1}
    teams = {s.label: (s.count, s.average) for s in page.context["teams"]}
    assert teams == {"Desk A": (2, 4.0), "Desk B": (1, 1.0)}
    months = [(s.label, s.count, s.average) for s in page.context["months"]]
    assert months == [("2026-02", 2, 2.0), ("2026-01", 1, 5.0)]
    comments = [r.comment for r in page.context["comments"]]
    assert comments == ["Never again", "Lovely"]
    # and the filters narrow it
    only_low = client.get(reverse("servicedesk:satisfaction_report"), {"score": "1"})
    assert only_low.context["overall"].count == 1


@pytest.mark.parametrize("who", ["agent", "requester"])
def test_agents_and_requesters_do_not_get_the_report(who: str) -> None:
    person = make_agent() if who == "agent" else make_requester()
    assert signed_in(person).get(reverse("servicedesk:satisfaction_report")).status_code == 403


def test_incident_managers_and_auditors_get_the_report() -> None:
    for person in (make_person(roles=[RoleCode.INCIDENT_MANAGER]), make_auditor()):
        assert signed_in(person).get(reverse("servicedesk:satisfaction_report")).status_code == 200


def test_a_bad_filter_on_the_report_is_shown_not_a_crash() -> None:
    client = signed_in(make_person(roles=[RoleCode.TEAM_LEAD]))
    page = client.get(reverse("servicedesk:satisfaction_report"), {"rated_after": "yesterday"})
    assert page.status_code == 200
    assert page.context["filter_form"].errors
