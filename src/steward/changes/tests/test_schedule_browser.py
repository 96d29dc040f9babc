"""The schedule in a real headless Chromium: a change manager checks a change's schedule
from its page, sees the blocking conflict with its path, overrides it with a reason, and
pages through the calendar."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD
from steward.changes.models_schedule import ConflictOverride
from steward.changes.tests.factories import make_change_manager
from steward.changes.tests.schedule_factories import Shop, planned

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_a_change_manager_checks_overrides_and_browses_the_calendar(
    page: Any, live_server: Any
) -> None:
    manager = make_change_manager(email="cm@example.test")
    shop = Shop()
    blocker = planned(shop.server, start=0, end=10, title="Patch srv-01")
    related = planned(shop.app_c, start=0, end=10, title="Upgrade hr-app")
    mine = planned(shop.app_a, start=2, end=4, affected_cis=[shop.server], requester=manager)
    sign_in(page, manager.email)
    # check the schedule from the change's page
    page.goto(f"/tickets/{mine.number}/")
    page.get_by_test_id("check-schedule").click()
    conflicts = page.get_by_test_id("conflicts")
    conflicts.wait_for()
    text = conflicts.inner_text()
    assert blocker.number in text and related.number in text
    assert "srv-01 <-runs on- hr-app" in text
    # override the blocking one with a reason
    page.get_by_label("Override reason").fill("Both teams agreed")
    page.get_by_test_id("override").click()
    page.get_by_text("Overridden:").wait_for()
    assert ConflictOverride.objects.get().reason == "Both teams agreed"
    # the calendar: March 2031 holds the three changes; the week view and back
    page.goto("/changes/schedule/?date=2031-03-01")
    assert mine.number in page.get_by_test_id("calendar").inner_text()
    page.get_by_test_id("calendar-week").click()
    page.get_by_test_id("calendar-title").filter(has_text="Week 9, 2031").wait_for()
    page.get_by_test_id("calendar-next").click()
    page.get_by_test_id("calendar-title").filter(has_text="Week 10, 2031").wait_for()
    assert mine.number not in page.get_by_test_id("calendar").inner_text()
    assert "date=2031-03-03" in page.url
