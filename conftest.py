"""Test set-up shared by every app's tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

# Before Django reads its settings: the test environment (fast hashing, fixed secret).
os.environ["STEWARD_ENV"] = "test"

import pytest
from django.db import connection

from steward.core import append_only


@pytest.fixture(autouse=True)
def _audit_log_flushable(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests end by emptying every table, which the audit log's triggers refuse.

    For those tests only, put the triggers back at the start and lift them at the end.
    """
    names = request.fixturenames
    if "transactional_db" not in names and "live_server" not in names:
        yield
        return
    request.getfixturevalue("transactional_db")
    append_only.create(connection, "core_auditentry")
    yield
    append_only.drop(connection, "core_auditentry")


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()
