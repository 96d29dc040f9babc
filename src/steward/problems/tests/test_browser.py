"""The known-error flow in a real headless Chromium: an agent links an incident to a known
error from the incident's page and applies its workaround; the problem manager sees it."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD
from steward.incidents.tests.factories import make_assigned_incident
from steward.problems.models import Problem
from steward.problems.tests.factories import make_known_error, make_problem_manager
from steward.tickets.models import Comment

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_an_agent_finds_a_known_error_links_it_and_applies_the_workaround(
    page: Any, live_server: Any
) -> None:
    manager = make_problem_manager(email="pat@example.test")
    problem = make_known_error(title="Label printers drop jobs", requester=manager)
    incident, agent = make_assigned_incident(title="Wristband labels do not print")
    # the agent searches the known errors
    sign_in(page, agent.email)
    page.goto("/problems/known-errors/")
    page.get_by_role("textbox", name="Search").fill("printers")
    page.get_by_test_id("search-known-errors").click()
    assert problem.number in page.get_by_test_id("known-error-table").inner_text()
    # links the incident to it from the incident's page and applies the workaround
    page.goto(f"/tickets/{incident.number}/")
    page.get_by_label("Problem number").fill(problem.number)
    page.get_by_test_id("link-to-problem").click()
    assert problem.number in page.get_by_test_id("incident-problem").inner_text()
    page.get_by_test_id("apply-workaround").click()
    assert "mail transport" in page.get_by_test_id("timeline").inner_text()
    assert Comment.objects.filter(ticket=incident, is_public=False).count() == 1
    assert Problem.objects.get(pk=problem.pk).workaround_uses == 1
    # the problem's page lists the incident
    page.goto(f"/tickets/{problem.number}/")
    assert incident.number in page.get_by_test_id("linked-incidents").inner_text()


def test_a_problem_manager_detects_a_trend_and_raises_the_problem(
    page: Any, live_server: Any
) -> None:
    from steward.cmdb.tests.factories import make_ci
    from steward.problems.models import ProblemProposal
    from steward.problems.services import links
    from steward.problems.tests.test_trends import make_cluster

    manager = make_problem_manager(email="quinn@example.test")
    cluster = make_cluster(configuration_item=make_ci(name="vpn-gw-07"))
    # the manager runs detection from the queue and opens the proposal
    sign_in(page, manager.email)
    page.goto("/problems/proposals/")
    page.get_by_test_id("open-detect").click()
    page.get_by_test_id("detect").click()
    table = page.get_by_test_id("proposal-table")
    assert "vpn-gw-07" in table.inner_text()
    table.get_by_role("link").first.click()
    assert "vpn" in page.get_by_test_id("terms").inner_text()
    for incident in cluster:
        assert incident.number in page.get_by_test_id("proposal-incidents").inner_text()
    # and raises the problem with its own title
    page.get_by_label("Problem title").fill("VPN gateway drops tunnels")
    page.get_by_test_id("accept").click()
    page.wait_for_url(re.compile(r"/tickets/PRB\d+/$"))
    problem = Problem.objects.get(title="VPN gateway drops tunnels")
    assert links.linked_incidents(problem).count() == len(cluster)
    assert ProblemProposal.objects.get().problem == problem
    assert cluster[0].number in page.get_by_test_id("linked-incidents").inner_text()
