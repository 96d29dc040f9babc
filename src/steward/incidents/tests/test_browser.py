"""In a real headless Chromium: an agent logs a call and resolves it on first contact; an
incident manager declares a major incident from the incident page and posts an update."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD, make_agent, make_person, make_team
from steward.incidents.models import Incident, Interaction
from steward.incidents.tests.factories import make_assigned_incident, make_incident_manager

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_an_agent_logs_a_call_and_resolves_it_on_first_contact(page: Any) -> None:
    agent = make_agent(email="desk@example.test", full_name="Dana Desk")
    make_team(name="Service Desk", lead=agent)
    caller = make_person(email="carl@example.test", full_name="Carl Caller")
    sign_in(page, agent.email)
    page.goto("/interactions/")
    # the caller box suggests people while the agent types, then takes the address
    page.get_by_label("Caller").press_sequentially("Carl C", delay=30)
    suggestion = page.locator('#person-suggestions option[value="carl@example.test"]')
    suggestion.wait_for(state="attached")
    assert suggestion.text_content() == "Carl Caller"
    page.get_by_label("Caller").fill(caller.email)
    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Summary").fill("Forgot his VPN PIN")
    # pressing "resolve" without saying how is refused on the form
    page.get_by_test_id("resolve-first-contact").click()
    assert page.locator(".error").first.inner_text()
    assert Interaction.objects.count() == 0
    page.get_by_label("Resolution").fill("Reset the PIN with him on the phone.")
    page.get_by_test_id("resolve-first-contact").click()
    page.wait_for_url(re.compile(r"/interactions/IMS\d+/$"))
    assert page.get_by_test_id("interaction-outcome").inner_text() == "Resolved on first contact"
    call = Interaction.objects.get()
    assert (call.caller, call.agent, call.outcome) == (caller, agent, "resolved")


def test_an_incident_manager_declares_a_major_incident_from_its_page(page: Any) -> None:
    incident, _agent = make_assigned_incident(title="Records time out")
    manager = make_incident_manager(email="grace@example.test", full_name="Grace Manager")
    sign_in(page, manager.email)
    page.goto(incident.get_absolute_url())
    assert page.get_by_test_id("major-status").inner_text() == "Not a major incident."
    page.get_by_test_id("open-declare").click()
    page.get_by_label("Major-incident manager").select_option(str(manager.pk))
    page.get_by_label("Why it is major").fill("Every ward is affected.")
    page.get_by_test_id("declare-major").click()
    assert "Major incident" in page.get_by_test_id("major-status").inner_text()
    assert page.get_by_test_id("major-manager").inner_text() == "Grace Manager"
    page.get_by_label("Audience").select_option("customers")
    page.get_by_label("Update").fill("We are restoring the service.")
    page.get_by_test_id("post-update").click()
    assert "We are restoring the service." in page.get_by_test_id("major-updates").inner_text()
    row = Incident.objects.get(pk=incident.pk)
    assert row.is_major and row.priority == 1
