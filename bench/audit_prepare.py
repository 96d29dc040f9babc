"""The Django side of the audit chain benchmark: fill, seal and verify, each timed in the
process ``bench.tickets_prepare`` runs it in (``audit``, ``seal``, ``verify``), with the CPU
of its PostgreSQL backend and its peak memory."""

from __future__ import annotations

import io
import re
import resource
import time
from collections.abc import Callable
from typing import Any

from bench import cpu


def _rss_mb() -> float:
    """This process's resident memory now, in MB (Linux)."""
    try:
        for line in open("/proc/self/status").read().splitlines():  # noqa: SIM115
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _backend_pid() -> int | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def timed(work: Callable[[], Any]) -> tuple[Any, dict[str, Any]]:
    """Run ``work``; its result, and its wall and CPU seconds (this process and its
    PostgreSQL backend), with memory before and at peak."""
    backend = _backend_pid()
    rss_before = _rss_mb()
    database_before = cpu.process_cpu_seconds(backend) if backend else None
    cpu_before, started = time.process_time(), time.perf_counter()
    result = work()
    seconds = time.perf_counter() - started
    process_cpu = time.process_time() - cpu_before
    database_after = cpu.process_cpu_seconds(backend) if backend else None
    database_cpu = (
        database_after - database_before
        if database_before is not None and database_after is not None
        else None
    )
    return result, {
        "seconds": round(seconds, 2),
        "process_cpu_s": round(process_cpu, 2),
        "database_cpu_s": round(database_cpu, 2) if database_cpu is not None else None,
        "rss_before_mb": rss_before,
        "peak_rss_mb": _peak_rss_mb(),
    }


def prepare_audit(*, people: int, entries: int, seed: int) -> dict[str, Any]:
    from bench.tickets_prepare import fill
    from steward.core.models import AuditEntry

    facts = fill(people=people, tickets=entries, seed=seed, audit=True)
    return {**facts, "audit_entries": AuditEntry.objects.count()}


def seal() -> dict[str, Any]:
    from django.db import connection

    from steward.core import auditchain

    sealed, figures = timed(lambda: auditchain.seal_pending(lookback=None))
    _, idle = timed(lambda: auditchain.seal_pending(lookback=None))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # as autovacuum would, before anybody verifies
            cursor.execute("VACUUM (ANALYZE) core_auditseal")
    return {"sealed": sealed, **figures, "idle_full_scan_s": idle["seconds"]}


INTACT = re.compile(r"audit log intact: (\d+) entries sealed, (\d+) pending")


def verify() -> dict[str, Any]:
    """``steward audit verify`` (the management command), timed in this process."""
    from django.core.management import call_command

    output = io.StringIO()
    _, figures = timed(lambda: call_command("audit", "verify", stdout=output))
    found = INTACT.search(output.getvalue())
    return {
        "intact": found is not None,
        "verified": int(found.group(1)) if found else None,
        "pending": int(found.group(2)) if found else None,
        **figures,
        "output": output.getvalue().strip().splitlines()[:2],
    }
