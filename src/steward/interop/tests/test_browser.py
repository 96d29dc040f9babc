"""The Imports page in a real headless Chromium: an administrator follows the menu to a run,
reads its unmapped values and warnings, and opens an imported incident's timeline."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD, make_admin
from steward.interop.importers.base import run_import
from steward.interop.importers.servicenow import ServiceNowImporter
from steward.interop.tests.samples import SN_HEADER, sn_row, write_xz

pytestmark = pytest.mark.browser


def test_an_administrator_reads_an_import_run_and_an_imported_timeline(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    path = write_xz(
        tmp_path / "log.csv.xz",
        [
            SN_HEADER,
            sn_row("INC0000301", "New", "1/3/2016 08:05", contact="Fax"),
            sn_row("INC0000301", "Active", "1/3/2016 09:00", contact="Fax"),
            sn_row("INC0000301", "Active", "1/3/2016 09:00", contact="Fax"),
            sn_row("INC0000301", "Closed", "2/3/2016 09:00", contact="Fax"),
        ],
    )
    outcome = run_import(ServiceNowImporter(), path, quiet=True)
    admin = make_admin(email="ada@example.test")
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(admin.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))
    # the menu leads to the runs
    page.get_by_role("link", name="Imports").first.click()
    page.wait_for_url(re.compile(r"/imports/$"))
    table = page.get_by_test_id("importrun-table").inner_text()
    assert "ServiceNow incident event log" in table and "Completed" in table
    page.get_by_role("link", name=f"#{outcome.run.pk}").click()
    assert "Fax" in page.get_by_test_id("importrun-unmapped").inner_text()
    assert "Duplicate event" in page.get_by_test_id("importrun-warnings").inner_text()
    assert "incidents_created" in page.get_by_test_id("importrun-counts").inner_text()
    # the imported incident's timeline shows its past at the original instants
    page.goto("/tickets/INC0000301/")
    timeline = page.get_by_test_id("timeline").inner_text()
    assert "opened the ticket" in timeline
    assert "moved it from In progress to Closed" in timeline
