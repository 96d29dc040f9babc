"""Exporters: ticket lifecycles from the audit log as process-mining event logs.

``xes.chunks`` (IEEE 1849 XES) and ``ocel.chunks`` (OCEL 2.0 JSON) yield the log as text
pieces, one case (or object) at a time, so a file or an HTTP response is written as it is
read and the whole log never sits in memory. Both read the cases through
``governance.services.lifecycle.cases``: one case per ticket opened in the period, its events
the state changes, assignments, priority changes and comments of its audit entries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from steward.governance.services.kpis import require_kpis
from steward.governance.services.lifecycle import kind_named, opened_between
from steward.interop.exporters import ocel, xes

FORMATS: dict[str, tuple[Callable[..., Iterator[str]], str, str]] = {
    "xes": (xes.chunks, "application/xml", "xes"),
    "ocel": (ocel.chunks, "application/json", "jsonocel"),
}


def export(
    *, actor: Any, format: str, since: datetime, until: datetime, kind: str = "incident"
) -> Iterator[str]:
    """The event log of ``kind``'s tickets opened in ``[since, until)`` that ``actor`` may
    see, in ``format`` (``xes`` or ``ocel``), as text pieces. Permission and arguments are
    checked before the first piece."""
    require_kpis(actor)
    if format not in FORMATS:
        from steward.core.errors import RuleViolation

        raise RuleViolation({"format": f"One of: {', '.join(FORMATS)}."})
    the_kind = kind_named(kind)
    tickets = opened_between(the_kind, actor=actor, since=since, until=until)
    write = FORMATS[format][0]
    return write(the_kind, tickets)


def filename(format: str, kind: str, since: datetime, until: datetime) -> str:
    return f"steward-{kind}-{since:%Y%m%d}-{until:%Y%m%d}.{FORMATS[format][2]}"
