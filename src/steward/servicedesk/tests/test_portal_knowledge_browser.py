"""Suggested answers while reporting, in a real headless Chromium (htmx as users get it)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection

from steward.accounts.tests.factories import PASSWORD
from steward.knowledge.models import ArticleFeedback
from steward.knowledge.tests.factories import make_published
from steward.servicedesk.tests.portal_helpers import make_requester

pytestmark = pytest.mark.browser


@pytest.fixture
def clean_index() -> Iterator[None]:
    """A live-server test commits; its index rows must not outlive its articles."""
    yield
    table = "knowledge_search" if connection.vendor == "postgresql" else "knowledge_search_fts"
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")


def test_typing_a_problem_suggests_an_answer_that_helps(
    page: Any, live_server: Any, clean_index: None
) -> None:
    # given a published portal article and a requester
    article = make_published(
        title="Printer shows offline on the third floor",
        body="Press any key on the printer panel and wait a minute.",
    )
    make_published(title="Printer firmware for agents", body="Internal.", audience="agents")
    requester = make_requester(email="paul@example.test", full_name="Paul Requester")
    page.goto("/accounts/login/")
    page.get_by_label("E-mail").fill(requester.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_test_id("sign-in").click()
    page.wait_for_url(re.compile(r"/portal/$"))
    # when he starts describing his problem on the report form
    page.get_by_test_id("portal-report").click()
    page.get_by_label("What is wrong?").press_sequentially("the printer is offline")
    # then the portal article is suggested (and the agents-only one is not)
    suggestions = page.get_by_test_id("suggested-articles")
    suggestions.wait_for()
    assert article.title in suggestions.inner_text()
    assert "firmware" not in suggestions.inner_text()
    # and reading it, he says it helped
    page.goto(suggestions.get_by_role("link").first.get_attribute("href"))
    page.get_by_test_id("helpful-yes").click()
    page.wait_for_url(re.compile(rf"/portal/knowledge/{article.pk}/$"))
    assert ArticleFeedback.objects.get(article=article, person=requester).helpful is True
