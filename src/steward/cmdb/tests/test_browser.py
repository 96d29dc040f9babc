"""The service map in a real headless Chromium: selecting a CI lights its relationships,
zoom changes the view."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD, make_agent
from steward.cmdb.choices import CITypeKind, ImpactDirection
from steward.cmdb.tests.factories import (
    make_ci,
    make_ci_type,
    make_relationship,
    make_relationship_type,
)

pytestmark = pytest.mark.browser


def test_the_service_map_highlights_a_selected_ci(page: Any) -> None:
    service = make_ci(name="Payroll", ci_type=make_ci_type(kind=CITypeKind.BUSINESS_SERVICE))
    provides = make_relationship_type(impact=ImpactDirection.TO_TARGET)
    runs_on = make_relationship_type(impact=ImpactDirection.TO_SOURCE)
    app, other, host = make_ci(name="payroll-app"), make_ci(name="hr-app"), make_ci(name="host")
    make_relationship(source=app, type=provides, target=service)
    make_relationship(source=other, type=provides, target=service)
    make_relationship(source=app, type=runs_on, target=host)
    agent = make_agent(email="cm@example.test")
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(agent.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))
    page.goto(f"/cmdb/{service.pk}/map/")
    svg = page.get_by_test_id("service-map")
    before = svg.get_attribute("viewBox")
    node = page.locator(f'.map-node[data-ci="{app.pk}"]')
    node.focus()
    page.keyboard.press("Enter")
    # the app, the service it provides and the host it runs on stay lit; hr-app dims
    assert "selected" in (node.get_attribute("class") or "")
    dimmed = page.locator(f'.map-node[data-ci="{other.pk}"]').get_attribute("class") or ""
    assert "dim" in dimmed
    assert page.locator(".map-edge.lit").count() == 2
    assert "payroll-app" in page.locator("#map-selection").inner_text()
    page.locator("#map-zoom-in").click()
    assert svg.get_attribute("viewBox") != before
