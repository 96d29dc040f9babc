"""Liveness and readiness: what ``/healthz``, ``/readyz`` and ``steward check`` report."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor

from steward.core import conf
from steward.core.models import WorkerHeartbeat


@dataclass(frozen=True)
class Check:
    """One readiness condition and whether it holds."""

    name: str
    ok: bool
    detail: str


def database() -> Check:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        return Check("database", False, f"unreachable: {exc.__class__.__name__}")
    return Check("database", True, connection.vendor)


def migrations() -> Check:
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except DatabaseError as exc:
        return Check("migrations", False, f"cannot read: {exc.__class__.__name__}")
    if pending:
        return Check("migrations", False, f"{len(pending)} not applied")
    return Check("migrations", True, "all applied")


def worker() -> Check:
    max_age = conf.get("WORKER_HEARTBEAT_MAX_AGE")
    try:
        alive = WorkerHeartbeat.objects.alive().count()
    except DatabaseError as exc:
        return Check("worker", False, f"cannot read: {exc.__class__.__name__}")
    if not alive:
        return Check("worker", False, f"no worker heartbeat in the last {max_age}s")
    return Check("worker", True, f"{alive} alive")


def readiness() -> list[Check]:
    first = database()
    if not first.ok:
        return [first]
    return [first, migrations(), worker()]
