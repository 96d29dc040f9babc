"""The normal-change flow in a real headless Chromium: an agent raises a change, assesses
its risk and sends it for approval; a CAB member approves it on the change page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.choices import RoleCode
from steward.accounts.tests.factories import PASSWORD, make_agent, make_person
from steward.changes.models import Change
from steward.changes.tests.factories import make_board, make_question

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def sign_out(page: Any) -> None:
    page.context.clear_cookies()


def test_an_agent_raises_a_change_and_a_cab_member_approves_it(page: Any, live_server: Any) -> None:
    agent = make_agent(email="mei@example.test")
    member = make_person(roles=[RoleCode.CAB_MEMBER], email="olivia@example.test")
    make_board(name="CAB", members=[member])
    make_question(text="Does it need downtime?", points=10)
    # the agent raises a change with its plans and window
    sign_in(page, agent.email)
    page.goto("/changes/new/")
    page.get_by_label("Title").fill("Upgrade the mail relay")
    page.get_by_label("Implementation plan").fill("Install the **new** package.")
    page.get_by_label("Backout plan").fill("Reinstall the old one.")
    page.get_by_label("Planned start").fill("2031-03-01T20:00")
    page.get_by_label("Planned end").fill("2031-03-01T22:00")
    page.get_by_test_id("save").click()
    change = Change.objects.get()
    assert "new" in page.get_by_test_id("implementation-plan").inner_html()
    # assesses it and answers the questionnaire
    page.get_by_test_id("transition-assessment").click()
    page.get_by_test_id("assess-risk").click()
    page.get_by_label("Yes (10)").check()
    page.get_by_test_id("save").click()
    assert "Low" in page.get_by_test_id("risk-class").inner_text()
    assert "Does it need downtime?" in page.get_by_test_id("risk-breakdown").inner_text()
    page.get_by_test_id("transition-approval").click()
    page.goto(change.get_absolute_url())
    assert "Pending" in page.get_by_test_id("approval-state-cab").inner_text()
    # the CAB member approves it on the change's page
    sign_out(page)
    sign_in(page, member.email)
    page.goto(change.get_absolute_url())
    page.get_by_test_id("approve-cab").click()
    assert "Approved" in page.get_by_test_id("approval-state-cab").inner_text()
    assert Change.objects.get(pk=change.pk).state == "scheduled"
