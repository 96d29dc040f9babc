"""The KPI report as people read it: CSV (``CSV_COLUMNS`` wide) and aligned text, and the
duration and rate formats the page, the CLI and the exports share."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from steward.core.spreadsheet import safe_cell
from steward.governance.services.kpis import KpiReport

CSV_COLUMNS = (
    "key",
    "label",
    "opened",
    "resolved",
    "closed",
    "mean_resolve_seconds",
    "median_resolve_seconds",
    "first_contact_rate",
    "reassignment_rate",
    "reopen_rate",
    "sla_met",
    "sla_breached",
    "sla_attainment",
    "change_success_rate",
    "hand_offs_0",
    "hand_offs_1",
    "hand_offs_2",
    "hand_offs_3_or_more",
)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    return safe_cell(value)


def as_csv(report: KpiReport) -> str:
    """One line per group and a last line for all, ``CSV_COLUMNS`` wide."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for row in [*report.rows, report.total]:
        values = row.as_dict()
        spread = values.pop("hand_offs")
        values.update(
            hand_offs_0=spread["0"],
            hand_offs_1=spread["1"],
            hand_offs_2=spread["2"],
            hand_offs_3_or_more=spread["3+"],
        )
        writer.writerow({name: _cell(values.get(name)) for name in CSV_COLUMNS})
    return out.getvalue()


def duration_text(seconds: float | None) -> str:
    """``3d 4h``, ``5h 12m``, ``40m``; a dash for nothing."""
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {mins}m"
    return f"{mins}m"


def rate_text(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


def as_text(report: KpiReport) -> Iterable[str]:
    """A plain table for the terminal."""
    yield (
        f"{report.kind.capitalize()} KPIs {report.since:%Y-%m-%d} to "
        f"{report.until - timedelta(seconds=1):%Y-%m-%d}"
        + (f", by {report.group_by}" if report.group_by else "")
    )
    header = (
        f"{'group':<24} {'opened':>7} {'resolved':>8} {'closed':>7} {'mean':>8} {'median':>8} "
        f"{'FCR':>6} {'reassign':>8} {'reopen':>6} {'SLA':>6} {'chg ok':>6}"
    )
    yield header
    for row in [*report.rows, report.total]:
        yield (
            f"{row.label[:24]:<24} {row.opened:>7} {row.resolved:>8} {row.closed:>7} "
            f"{duration_text(row.mean_resolve_seconds):>8} "
            f"{duration_text(row.median_resolve_seconds):>8} "
            f"{rate_text(row.first_contact_rate):>6} {rate_text(row.reassignment_rate):>8} "
            f"{rate_text(row.reopen_rate):>6} {rate_text(row.sla_attainment):>6} "
            f"{rate_text(row.change_success_rate):>6}"
        )
    spread = report.total.hand_offs
    yield (
        f"hand-offs per resolved ticket: 0: {spread['0']}, 1: {spread['1']}, "
        f"2: {spread['2']}, 3+: {spread['3+']}"
    )
    if report.contacts_handled is not None:
        yield f"contacts resolved on first contact: {rate_text(report.contact_rate)}"
    if report.backlog:
        last = report.backlog[-1]
        peak = max(report.backlog, key=lambda p: p.total)
        yield (
            f"backlog (at each {report.interval}'s end): {last.total} open at "
            f"{last.at:%Y-%m-%d %H:%M}, "
            f"peak {peak.total} at {peak.at:%Y-%m-%d}"
        )
    for title, counts in (("services", report.per_service), ("CIs", report.per_ci)):
        if counts:
            yield f"top {title}: " + ", ".join(f"{c.label} {c.count}" for c in counts)
