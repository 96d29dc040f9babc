"""In a real headless Chromium: a manager opens the KPIs, groups them by team, reads the
backlog chart, then opens the variants and downloads the XES event log."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD, make_team
from steward.governance.tests.factories import make_history, make_kpi_reader

pytestmark = pytest.mark.browser

DAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)


def test_a_manager_reads_kpis_and_variants_and_downloads_the_log(page: Any) -> None:
    team = make_team(name="Service Desk")
    for n in range(3):
        make_history(
            opened=DAY + n * H,
            team=team,
            moves=[(DAY + n * H + H, "in_progress"), (DAY + n * H + 2 * H, "resolved")],
        )
    manager = make_kpi_reader(email="mia@example.test")
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(manager.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))

    page.get_by_role("link", name="Service KPIs").click()
    page.locator("#id_since").fill("2026-03-02")
    page.locator("#id_until").fill("2026-03-03")
    page.get_by_label("Group by").select_option("team")
    page.get_by_test_id("show-report").click()
    table = page.get_by_test_id("kpi-table")
    assert "Service Desk" in table.inner_text()
    assert page.locator("[data-testid=backlog-chart] polyline").count() == 1
    assert "How each figure is computed" in page.get_by_test_id("kpi-help").inner_text()

    page.get_by_role("link", name="Lifecycle variants").click()
    page.locator("#id_since").fill("2026-03-02")
    page.locator("#id_until").fill("2026-03-03")
    page.get_by_test_id("show-report").click()
    assert "3 tickets opened" in page.get_by_test_id("variant-summary").inner_text()
    assert "New → In progress → Resolved" in page.get_by_test_id("variant-table").inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("export-xes").click()
    assert download.value.suggested_filename.endswith(".xes")
