"""The portal in a real headless Chromium: sign in, report with a file, find it, rate."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD
from steward.incidents.models import Incident
from steward.servicedesk.models.satisfaction import SatisfactionRating
from steward.servicedesk.tests.portal_helpers import make_requester, resolved_incident

pytestmark = pytest.mark.browser


def test_a_requester_reports_finds_and_rates(
    page: Any, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # given a requester with a resolved incident
    requester = make_requester(email="rita@example.test", full_name="Rita Requester")
    resolved, _ = resolved_incident(requester)
    screenshot = tmp_path / "error.txt"
    screenshot.write_text("Error 0x80070005 when scanning\n")
    # when she signs in she lands on the portal
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(requester.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/portal/$"))
    assert page.get_by_test_id("awaits-confirmation").count() == 1
    # she reports an incident with a file
    page.get_by_test_id("report-incident").click()
    page.get_by_label("What is wrong?").fill("Scanner refuses to scan")
    page.get_by_label("Details").fill("It shows an **access denied** error.")
    page.get_by_label("It slows me down: my work is hampered").check()
    page.get_by_label("Attachments").set_input_files(str(screenshot))
    page.get_by_test_id("submit-report").click()
    page.wait_for_url(re.compile(r"/portal/tickets/INC\d+/$"))
    number = page.get_by_test_id("ticket-number").inner_text()
    incident = Incident.objects.get(number=number)
    assert incident.contact_type == "portal"
    assert incident.attachments.get().filename == "error.txt"
    assert "error.txt" in page.get_by_test_id("attachments").inner_text()
    # she finds it in her list
    page.get_by_test_id("portal-my-tickets").click()
    assert page.get_by_test_id(f"ticket-row-{number}").is_visible()
    # and rates the resolved one (htmx swaps the rating panel in place)
    page.get_by_role("link", name=resolved.number).click()
    assert "Replaced the toner." in page.get_by_test_id("resolution").inner_text()
    page.get_by_label("5 Very satisfied").check()
    page.get_by_label("Anything you want to tell us? (optional)").fill("Quick fix, thanks!")
    page.get_by_test_id("submit-rating").click()
    page.get_by_test_id("current-rating").wait_for()
    assert "5 of 5" in page.get_by_test_id("current-rating").inner_text()
    rating = SatisfactionRating.objects.get(ticket=resolved)
    assert (rating.score, rating.comment) == (5, "Quick fix, thanks!")
