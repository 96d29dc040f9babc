"""Test set-up shared by every app's tests."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

# Before Django reads its settings: the test environment (fast hashing, fixed secret).
os.environ["STEWARD_ENV"] = "test"

import pytest
from django.db import connection, connections

from steward.core import append_only

# Real-browser fixtures (``browser``, ``page``), registered once for the whole suite.
pytest_plugins = ["steward.core.browser"]

APPEND_ONLY_TABLES = ("core_auditentry", "core_auditseal")


@pytest.fixture(autouse=True)
def _audit_log_flushable(request: pytest.FixtureRequest) -> Iterator[None]:
    """Transactional tests end by emptying every table, which the audit log's triggers refuse.

    For those tests only, put the triggers back at the start and lift them at the end.
    """
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction"))
    if not transactional and "transactional_db" not in names and "live_server" not in names:
        yield
        return
    request.getfixturevalue("transactional_db")
    for table in APPEND_ONLY_TABLES:
        append_only.create(connection, table)
    yield
    for table in APPEND_ONLY_TABLES:
        append_only.drop(connection, table)


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def shared_database(transactional_db: None, tmp_path: Path) -> Iterator[None]:
    """A database every thread's own connection shares, locking as in production.

    PostgreSQL: the test database as it is. SQLite: pytest-django's in-memory database reaches
    other threads through SQLite's shared cache, whose table locks fail at once ("database
    table is locked") where Steward's file database (WAL, busy timeout) waits its turn. So the
    test runs on a file copy of the test database instead, in this thread and every other.
    """
    memory = connections["default"]
    name = memory.settings_dict["NAME"]
    if memory.vendor != "sqlite" or not memory.creation.is_in_memory_db(name):  # type: ignore[attr-defined]
        yield
        return
    path = tmp_path / "shared.sqlite3"
    memory.ensure_connection()
    copy = sqlite3.connect(path)
    memory.connection.backup(copy)  # schema, roles, and the audit log's triggers
    copy.close()
    original = connections.settings["default"]
    connections.settings["default"] = {**original, "NAME": str(path)}
    on_file = connections.create_connection("default")
    connections["default"] = on_file
    try:
        yield
    finally:
        on_file.close()
        connections["default"] = memory
        connections.settings["default"] = original
