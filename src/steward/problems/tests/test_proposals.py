"""The proposals queue through the API, the pages and the command line."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person
from steward.cmdb.tests.factories import make_ci
from steward.core.testing import ApiResourceTests, assert_problem
from steward.problems.choices import ProposalState
from steward.problems.models import Problem, ProblemProposal
from steward.problems.services import links
from steward.problems.tests.factories import make_problem_manager, make_proposal
from steward.problems.tests.test_trends import make_cluster

pytestmark = pytest.mark.django_db


def api_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def web_for(user: Person) -> Client:
    client = Client()
    client.force_login(user)
    return client


class TestProblemProposalApi(ApiResourceTests):
    basename = "problem-proposal"
    organisation_scoped = False  # proposals belong to no organisation
    filter_cases = [
        ({"state": "proposed"}, lambda p: p.state == "proposed"),
        ({"min_incidents": "3"}, lambda p: p.incident_count >= 3),
    ]

    def make_object(self, organisation: Any) -> ProblemProposal:
        n = ProblemProposal.objects.count()
        state = ProposalState.DISMISSED if n % 3 == 2 else ProposalState.PROPOSED
        return make_proposal(incidents=1 + n % 3, state=state)

    def allowed_user(self, organisation: Any) -> Person:
        return make_problem_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)


def test_api_accept_raises_the_problem_and_dismiss_needs_a_reason() -> None:
    manager = make_problem_manager()
    proposal = make_proposal(incidents=3)
    client = api_for(manager)
    # a dismissal without a reason is a 400 and changes nothing
    refused = client.post(reverse("problem-proposal-dismiss", args=[proposal.pk]), {})
    assert_problem(refused, 400)
    assert ProblemProposal.objects.get().state == ProposalState.PROPOSED
    # a stale version is a conflict
    stale = client.post(
        reverse("problem-proposal-accept", args=[proposal.pk]), {"version": 99}, format="json"
    )
    assert stale.status_code in (409, 412)
    assert Problem.objects.count() == 0
    # accepting raises the problem with the incidents linked
    answer = client.post(
        reverse("problem-proposal-accept", args=[proposal.pk]),
        {"title": "Disks fill up", "version": proposal.version},
        format="json",
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    problem = Problem.objects.get(pk=body["problem"])
    assert problem.title == "Disks fill up" and len(body["linked"]) == 3
    assert body["proposal"]["state"] == "accepted"
    assert body["proposal"]["problem_number"] == problem.number
    assert links.linked_incidents(problem).count() == 3
    # decided once: a second decision is refused
    again = client.post(
        reverse("problem-proposal-dismiss", args=[proposal.pk]), {"reason": "late"}, format="json"
    )
    assert_problem(again, 400)


def test_api_agents_read_but_do_not_decide_or_detect() -> None:
    proposal = make_proposal()
    agent = api_for(make_agent())
    assert agent.get(reverse("problem-proposal-detail", args=[proposal.pk])).status_code == 200
    denied = agent.post(
        reverse("problem-proposal-dismiss", args=[proposal.pk]), {"reason": "no"}, format="json"
    )
    assert_problem(denied, 403)
    assert_problem(agent.post(reverse("problem-proposal-detect"), {}, format="json"), 403)
    assert ProblemProposal.objects.get().state == ProposalState.PROPOSED


def test_api_detect_runs_detection_and_refuses_bad_arguments() -> None:
    make_cluster(configuration_item=make_ci())
    client = api_for(make_problem_manager())
    bad = client.post(reverse("problem-proposal-detect"), {"threshold": 1}, format="json")
    assert_problem(bad, 400)
    assert ProblemProposal.objects.count() == 0
    answer = client.post(
        reverse("problem-proposal-detect"), {"window_days": 7, "threshold": 5}, format="json"
    )
    assert answer.status_code == 200, answer.content
    assert len(answer.json()["created"]) == 1 and answer.json()["window_days"] == 7
    listed = client.get(reverse("problem-proposal-list"), {"state": "proposed"}).json()
    assert [row["incident_count"] for row in listed["results"]] == [6]
    assert len(listed["results"][0]["incidents"]) == 6


def test_the_queue_page_shows_evidence_and_the_manager_accepts(
    django_assert_max_num_queries: Any,
) -> None:
    manager = make_problem_manager()
    for _ in range(3):
        make_proposal()
    proposal = make_proposal(incidents=3)
    web = web_for(manager)
    with django_assert_max_num_queries(12):
        page = web.get(reverse("problems:proposal_list"))
    assert page.status_code == 200
    assert proposal.title in page.content.decode()
    with django_assert_max_num_queries(14):
        detail = web.get(reverse("problems:proposal_detail", args=[proposal.pk]))
    text = detail.content.decode()
    assert proposal.configuration_item is not None
    assert "disk, full" in text and proposal.configuration_item.name in text
    for incident in proposal.incidents.all():
        assert incident.number in text
    # an empty dismissal reason is a form error, nothing changes
    refused = web.post(
        reverse("problems:proposal_dismiss", args=[proposal.pk]),
        {"reason": "", "version": proposal.version},
    )
    assert refused.status_code == 400
    assert ProblemProposal.objects.get(pk=proposal.pk).state == ProposalState.PROPOSED
    accepted = web.post(
        reverse("problems:proposal_accept", args=[proposal.pk]),
        {"title": "Disk fills", "version": proposal.version},
    )
    problem = Problem.objects.get(title="Disk fills")
    assert accepted.status_code == 302 and accepted["Location"] == problem.get_absolute_url()
    assert ProblemProposal.objects.get(pk=proposal.pk).problem == problem


def test_the_queue_page_is_closed_to_requesters_and_read_only_for_agents() -> None:
    proposal = make_proposal()
    requester = web_for(make_person())
    assert requester.get(reverse("problems:proposal_list")).status_code in (403, 404)
    assert requester.get(reverse("problems:proposal_detail", args=[proposal.pk])).status_code in (
        403,
        404,
    )
    agent = web_for(make_agent())
    page = agent.get(reverse("problems:proposal_detail", args=[proposal.pk]))
    assert page.status_code == 200 and 'data-testid="accept"' not in page.content.decode()
    refused = agent.post(
        reverse("problems:proposal_dismiss", args=[proposal.pk]),
        {"reason": "no", "version": proposal.version},
    )
    assert refused.status_code == 403
    assert ProblemProposal.objects.get().state == ProposalState.PROPOSED


def test_the_command_detects_and_prints_json() -> None:
    make_cluster(configuration_item=make_ci())
    out = StringIO()
    call_command("problems", "detect", "--window", "10", "--threshold", "5", "--json", stdout=out)
    result = json.loads(out.getvalue())
    assert result["window_days"] == 10 and len(result["created"]) == 1
    assert result["proposals"][0]["incidents"] == 6
    out = StringIO()
    call_command("problems", "detect", stdout=out)
    assert "0 new" in out.getvalue() and "1 updated" not in out.getvalue()
    with pytest.raises(Exception, match="window"):
        call_command("problems", "detect", "--window", "0")
