"""Long lists are counted only up to a cap."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from steward.accounts.models import Organisation
from steward.core.paging import CappedPaginator

pytestmark = pytest.mark.django_db


def test_counts_up_to_the_cap_and_says_when_there_is_more() -> None:
    for n in range(7):
        Organisation.objects.create(name=f"Org {n}", code=f"ORG{n}")
    rows = Organisation.objects.order_by("name")
    capped = CappedPaginator(rows, 2, cap=5)
    with CaptureQueriesContext(connection) as queries:
        assert (capped.count, capped.capped, capped.num_pages) == (5, True, 3)
    assert len(queries) == 1 and "LIMIT 6" in queries[0]["sql"]
    assert [o.name for o in capped.page(3)] == ["Org 4"]
    exact = CappedPaginator(rows, 2, cap=7)
    assert (exact.count, exact.capped, exact.num_pages) == (7, False, 4)
    assert CappedPaginator(list(range(9)), 2, cap=5).capped


def test_the_queue_says_more_than_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import Client
    from django.urls import reverse

    from steward.accounts.tests.factories import make_agent
    from steward.core import paging
    from steward.tickets.tests.factories import make_ticket
    from steward.tickets.views import queue

    agent = make_agent()
    for _ in range(4):
        make_ticket()
    client = Client()
    client.force_login(agent)
    monkeypatch.setattr(queue, "PER_PAGE", 1)
    monkeypatch.setattr(paging, "COUNT_CAP", 2)
    capped = client.get(reverse("tickets:queue"), {"queue": "", "is_open": ""}).content.decode()
    assert "Page 1 of 2 (more than 2: narrow the list to see the rest)" in capped
    monkeypatch.setattr(paging, "COUNT_CAP", 10)
    exact = client.get(reverse("tickets:queue"), {"queue": "", "is_open": ""}).content.decode()
    assert "Page 1 of 4 (4 in all)" in exact
