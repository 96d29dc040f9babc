"""In a real headless Chromium: a service level manager defines a target, sees a bad one
refused on the form, and an agent reads the clock's explanation on the ticket page."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD, make_agent, make_organisation
from steward.sla.models import Target
from steward.sla.tests.factories import make_agreement, make_service_level_manager
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_a_manager_defines_a_target_and_an_agent_reads_the_clock(page: Any) -> None:
    customer = make_organisation()
    agreement = make_agreement(customer=customer, name="Gold")
    manager = make_service_level_manager(email="sam@example.test")
    sign_in(page, manager.email)
    page.goto(agreement.get_absolute_url())
    page.get_by_test_id("add-target").click()
    page.locator("#id_ticket_kind").select_option("tickets.ticket")
    page.locator("#id_priority").select_option("5")
    page.locator("#id_duration").fill("0")
    page.get_by_test_id("save").click()
    assert "more than zero" in page.locator(".error").first.inner_text()
    assert not Target.objects.exists()
    page.locator("#id_duration").fill("4")
    page.get_by_test_id("save").click()
    page.wait_for_url(re.compile(rf"/service-levels/{agreement.pk}/$"))
    assert "4 business hours" in page.get_by_test_id("target-table").inner_text()
    ticket = make_ticket(organisation=customer)
    page.context.clear_cookies()
    agent = make_agent(email="ann@example.test")
    sign_in(page, agent.email)
    page.goto(ticket.get_absolute_url())
    panel = page.get_by_test_id("sla-panel")
    assert "Running" in panel.get_by_test_id("sla-state").inner_text()
    assert "Calendar" in panel.get_by_test_id("sla-explain").inner_text()
