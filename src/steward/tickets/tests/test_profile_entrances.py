"""Switching the process profile through the web page, the API and the command line."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.tests.factories import make_admin, make_agent, make_auditor
from steward.core import workflow
from steward.core.testing import assert_problem
from steward.tickets import services
from steward.tickets.tests.factories import make_assigned_ticket

pytestmark = pytest.mark.django_db


def test_an_administrator_previews_then_switches_in_the_browser() -> None:
    ticket, agent = make_assigned_ticket()
    services.transition_ticket(actor=agent, ticket=ticket, to="in_progress")
    services.transition_ticket(actor=agent, ticket=ticket, to="on_hold")
    client = Client()
    client.force_login(make_admin())
    url = reverse("core:process_profile")
    preview = client.get(url, {"profile": "fits"})
    assert preview.context["plan"] == {"tickets.ticket": {("on_hold", "in_progress"): 1}}
    assert workflow.active_profile() == "full"
    done = client.post(url, {"profile": "fits", "confirm": "yes"})
    assert done.status_code == 302
    assert workflow.active_profile() == "fits"
    ticket.refresh_from_db()
    assert ticket.state == "in_progress"


def test_agents_cannot_see_or_switch_and_auditors_only_see() -> None:
    url = reverse("core:process_profile")
    agent = Client()
    agent.force_login(make_agent())
    assert agent.get(url).status_code == 403
    auditor = Client()
    auditor.force_login(make_auditor())
    assert auditor.get(url).status_code == 200
    assert auditor.post(url, {"profile": "core", "confirm": "yes"}).status_code == 403
    assert workflow.active_profile() == "full"


def test_the_profile_through_the_api() -> None:
    client = APIClient()
    client.force_authenticate(make_admin())
    url = reverse("process-profile")
    assert client.get(url).json() == {"profile": "full", "label": "Full ITIL"}
    assert client.put(url, {"profile": "lite"}, format="json").json()["profile"] == "lite"
    assert_problem(client.put(url, {"profile": "chaos"}, format="json"), 400)
    agent = APIClient()
    agent.force_authenticate(make_agent())
    assert_problem(agent.put(url, {"profile": "core"}, format="json"), 403)
    assert workflow.active_profile() == "lite"


def test_the_profile_from_the_command_line() -> None:
    out = StringIO()
    call_command("profile", stdout=out)
    assert out.getvalue().startswith("full\t")
    out = StringIO()
    call_command("profile", "set", "core", stdout=out)
    assert out.getvalue().strip() == "full -> core: 0 records moved"
    assert workflow.active_profile() == "core"
