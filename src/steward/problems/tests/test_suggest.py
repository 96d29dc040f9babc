"""Known errors offered while an incident is typed: on the agent's incident form, by words."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from steward.accounts.tests.factories import make_agent, make_person
from steward.cmdb.tests.factories import make_ci, make_service
from steward.incidents.tests.factories import make_category, make_incident
from steward.problems.models import Problem, suggested_known_errors
from steward.problems.services import links
from steward.problems.tests.factories import (
    make_known_error,
    make_problem,
    make_problem_manager,
)

pytestmark = pytest.mark.django_db


def _client(person: Any) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_the_known_error_sharing_most_words_comes_first_and_open_problems_never() -> None:
    # given two known errors and a problem not yet known
    printers = make_known_error(title="Label printers stop after the driver update")
    mail = make_known_error(title="Mail stops every night", description="The printer queue too.")
    make_problem(title="Label printers print blank labels")
    # when an agent types about a label printer
    found = suggested_known_errors(Problem.objects.all(), "Label printer stopped, labels blank")
    # then the printer known error leads, the mail one (one shared word) follows, no open problem
    assert [p.pk for p in found] == [printers.pk, mail.pk]
    assert suggested_known_errors(Problem.objects.all(), "it is on") == []  # no telling word


def test_the_incident_form_offers_known_errors_to_agents_only(
    django_assert_max_num_queries: Any,
) -> None:
    known = make_known_error(title="VPN drops every ten minutes")
    agent = _client(make_agent())
    form = agent.get(reverse("incidents:incident_create"))
    assert form.status_code == 200
    assert reverse("problems:known_error_suggest") in form.content.decode()
    url = reverse("problems:known_error_suggest")
    with django_assert_max_num_queries(8):
        answer = agent.get(url, {"title": "vpn drops", "description": ""})
    assert answer.status_code == 200
    assert known.number in answer.content.decode()
    assert "Restart the" in answer.content.decode()  # its workaround, to apply at once
    # a requester learns nothing of problems (the agent UI is closed to them)
    requester = _client(make_person())
    refused = requester.get(url, {"title": "vpn drops"})
    assert refused.status_code in (403, 404)
    assert known.number not in refused.content.decode()


def test_known_errors_on_the_incidents_ci_or_category_rank_first_in_one_query(
    django_assert_num_queries: Any,
) -> None:
    # given known errors: one sharing most words, one on the incident's CI, one on its
    # service, one whose linked incident has the incident's category
    ci, service, category = make_ci(), make_service(), make_category()
    wordy = make_known_error(title="Label printers stop, labels blank")
    on_ci = make_known_error(title="Spooler hangs", configuration_item=ci)
    on_service = make_known_error(title="Queue stalls", service=service)
    of_category = make_known_error(title="Toner sensor fault")
    manager = make_problem_manager()
    links.link_incidents(
        actor=manager, problem=of_category, incidents=[make_incident(category=category)]
    )
    make_known_error(title="Unrelated mail outage")
    typed = "Label printer stopped, labels blank"
    # when suggestions are asked with the incident's CI, service and category
    with django_assert_num_queries(1):
        found = suggested_known_errors(
            Problem.objects.all(),
            typed,
            configuration_item=ci.pk,
            service=service.pk,
            category=category.pk,
        )
    # then the same place first (newest first), then the category, then words only
    assert [p.pk for p in found] == [on_service.pk, on_ci.pk, of_category.pk, wordy.pk]
    # without context the words decide, as before
    assert [p.pk for p in suggested_known_errors(Problem.objects.all(), typed)] == [wordy.pk]
    # context alone (nothing typed yet) already offers the CI's known error
    assert [
        p.pk for p in suggested_known_errors(Problem.objects.all(), "", configuration_item=ci.pk)
    ] == [on_ci.pk]


def test_the_suggestion_fragment_reads_the_forms_ci_and_category() -> None:
    ci = make_ci()
    known = make_known_error(title="Spooler hangs", configuration_item=ci)
    agent = _client(make_agent())
    url = reverse("problems:known_error_suggest")
    answer = agent.get(url, {"title": "", "configuration_item": str(ci.pk), "category": "x"})
    assert answer.status_code == 200
    assert known.number in answer.content.decode()
    assert 'data-testid="same-place"' in answer.content.decode()
    assert known.number not in agent.get(url, {"configuration_item": "abc"}).content.decode()
