"""The release flow in a real headless Chromium: a release manager approves an artefact,
names it on a release, plans a deployment to test, carries it out, and sees it in the
release's deployment matrix and in the release list."""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import PASSWORD
from steward.releases.choices import DeploymentState
from steward.releases.models import Deployment
from steward.releases.tests.factories import make_artefact, make_release, make_release_manager

pytestmark = pytest.mark.browser


def sign_in(page: Any, email: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/$"))


def test_a_release_manager_approves_an_artefact_and_deploys_a_release_to_test(
    page: Any, live_server: Any
) -> None:
    manager = make_release_manager(email="kim@example.test")
    artefact = make_artefact(name="portal", artefact_version="3.1")
    release = make_release(title="Portal 3.1", release_version="3.1", requester=manager)
    sign_in(page, manager.email)
    # approve the artefact from its page
    page.goto(f"/releases/dml/{artefact.pk}/")
    page.get_by_test_id("move-approved").click()
    assert page.get_by_test_id("artefact-state").inner_text() == "Approved"
    # name it on the release
    page.goto(f"/tickets/{release.number}/")
    page.get_by_test_id("open-artefacts").click()
    page.get_by_label("portal@3.1 (approved)").check()
    page.get_by_test_id("save-artefacts").click()
    assert "portal@3.1" in page.get_by_test_id("release-artefacts").inner_text()
    # plan a deployment to test and carry it out
    page.get_by_test_id("plan-deployment").click()
    page.get_by_label("Environment").select_option("test")
    page.get_by_test_id("save-deployment").click()
    page.get_by_test_id("move-in_progress").click()
    assert page.get_by_test_id("deployment-state").inner_text() == "In progress"
    page.get_by_test_id("move-succeeded").click()
    assert page.get_by_test_id("deployment-state").inner_text() == "Succeeded"
    assert Deployment.objects.get().state == DeploymentState.SUCCEEDED
    # the matrix and the list show it
    page.goto(f"/tickets/{release.number}/")
    assert "Succeeded" in page.get_by_test_id("env-test").inner_text()
    page.goto("/releases/")
    assert release.number in page.get_by_test_id("release-table").inner_text()
