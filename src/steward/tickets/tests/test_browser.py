"""A ticket's life in a real headless Chromium: report, pick up, reply, resolve."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD, make_agent, make_person, make_team
from steward.tickets.models import Ticket

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def sign_out(page: Any) -> None:
    page.get_by_test_id("sign-out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))


def test_report_pick_up_reply_and_resolve(page: Any, live_server: Any, settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": False}  # see servicedesk
    requester = make_person(email="rita@example.test", full_name="Rita Requester")
    agent = make_agent(email="alex@example.test", full_name="Alex Agent")
    team = make_team(name="Service Desk", lead=agent)
    # the requester reports a problem
    sign_in(page, requester.email)
    page.goto("/tickets/new/")
    page.get_by_label("Title").fill("Laptop does not boot")
    page.get_by_label("Description").fill("It shows a **blue** screen.")
    page.get_by_test_id("save").click()
    number = page.get_by_test_id("ticket-number").inner_text()
    assert page.get_by_test_id("ticket-description").inner_html().count("<strong>blue</strong>")
    sign_out(page)
    # the service desk routes it to the team
    ticket = Ticket.objects.get(number=number)
    from steward.tickets import services

    services.update_ticket(actor=agent, ticket=ticket, team=team)
    # the agent finds it in the queue, starts work, writes a work note and a reply
    sign_in(page, agent.email)
    page.goto("/tickets/")
    page.get_by_role("link", name=number).click()
    page.get_by_test_id("transition-in_progress").click()
    page.get_by_test_id("confirm-transition").click()
    assert page.get_by_test_id("ticket-state").inner_text() == "In progress"
    page.get_by_label("Comment").fill("Disk SMART errors; ordering a disk.")
    page.get_by_label("Work note (staff only)").check()
    page.get_by_test_id("add-comment").click()
    page.get_by_label("Comment").fill("A new disk is on its way.")
    page.get_by_test_id("add-comment").click()
    # and resolves it, which asks for the resolution first
    page.get_by_test_id("transition-resolved").click()
    page.get_by_label("Resolution").fill("Replaced the disk.")
    page.get_by_test_id("confirm-transition").click()
    assert page.get_by_test_id("ticket-state").inner_text() == "Resolved"
    sign_out(page)
    # the requester sees the reply and the resolution, never the work note
    sign_in(page, requester.email)
    page.goto(f"/tickets/{number}/")
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "A new disk is on its way." in timeline
    assert "SMART" not in timeline
    assert "Replaced the disk." in page.content()
