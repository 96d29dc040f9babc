"""CPU time of processes and of the whole machine, read from Linux's ``/proc``.

On a small shared machine the request rate depends on what else runs; CPU seconds spent per
request by the server does much less. Everything here answers ``None`` where ``/proc`` is
not there (not Linux), and the runner then leaves those figures out.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

PROC = Path("/proc")


def _ticks_per_second() -> int:
    return os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (field 3 onwards)."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def process_cpu_seconds(pid: int) -> float | None:
    """User plus system CPU seconds used so far by one process (its threads included)."""
    fields = _stat_fields(pid)
    if fields is None:
        return None
    return (int(fields[11]) + int(fields[12])) / _ticks_per_second()


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (gunicorn's workers, for its master)."""
    listing = PROC / str(pid) / "task" / str(pid) / "children"
    try:
        return [int(child) for child in listing.read_text().split()]
    except OSError:
        pass
    found = []
    for entry in PROC.glob("[0-9]*"):
        fields = _stat_fields(int(entry.name))
        if fields is not None and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def total_cpu_seconds(pids: Iterable[int]) -> float | None:
    """CPU seconds of all ``pids`` together; ``None`` if ``/proc`` cannot tell."""
    total = 0.0
    for pid in pids:
        seconds = process_cpu_seconds(pid)
        if seconds is None:
            return None
        total += seconds
    return total


def host_cpu() -> tuple[float, float] | None:
    """(busy, total) CPU seconds of the whole machine since boot, over all cores."""
    try:
        first = (PROC / "stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    total = user + nice + system + idle + iowait + irq + softirq + steal
    ticks = _ticks_per_second()
    return (total - idle - iowait) / ticks, total / ticks
