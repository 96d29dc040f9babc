"""The variant view: paths through the incident lifecycle, and deviations from the workflow."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from steward.accounts.tests.factories import make_agent
from steward.core.errors import Forbidden
from steward.governance.services import kpis, variants
from steward.governance.tests.factories import make_history, make_kpi_reader

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)


def _histories() -> None:
    for n in range(3):  # the usual path, 2h, 4h, 6h
        make_history(
            opened=DAY + n * H,
            moves=[(DAY + n * H + H, "in_progress"), (DAY + 3 * n * H + 2 * H, "resolved")],
        )
    # new -> closed is not declared by the full workflow (closing follows a resolution)
    make_history(opened=DAY, moves=[(DAY + 6 * H, "closed")])
    make_history(opened=DAY + 2 * H)  # still open


def test_paths_counts_durations_and_deviations() -> None:
    _histories()
    since, until = kpis.day_range(DAY.date(), DAY.date())

    report = variants.variant_report(actor=make_kpi_reader(), since=since, until=until)

    assert report.cases == 5
    assert report.variant_count == 3
    top = report.variants[0]
    assert top.states == ("new", "in_progress", "resolved")
    assert (top.count, top.share) == (3, 0.6)
    assert top.median_seconds == 4 * 3600
    assert top.mean_seconds == 4 * 3600
    assert not top.deviates
    stray = next(v for v in report.variants if v.deviates)
    assert stray.states == ("new", "closed")
    assert stray.median_seconds == 6 * 3600
    assert report.deviating_cases == 1
    assert report.deviation_share == 0.2
    assert [(d.source, d.target, d.count) for d in report.deviations] == [("new", "closed", 1)]
    assert report.deviations[0].examples == [stray.examples[0]]
    still_open = next(v for v in report.variants if v.states == ("new",))
    assert still_open.mean_seconds is None


def test_agents_see_no_variants() -> None:
    since, until = kpis.day_range(DAY.date(), DAY.date())
    with pytest.raises(Forbidden):
        variants.variant_report(actor=make_agent(), since=since, until=until)


def test_the_command_prints_variants_and_refuses_bad_input() -> None:
    _histories()
    out = StringIO()
    call_command("report", "variants", "--from", "2026-03-02", "--to", "2026-03-02", stdout=out)
    text = out.getvalue()
    assert "5 incidents opened" in text
    assert "undeclared new -> closed: 1" in text
    out = StringIO()
    call_command(
        "report",
        "variants",
        "--from",
        "2026-03-02",
        "--to",
        "2026-03-02",
        "--format",
        "json",
        stdout=out,
    )
    assert json.loads(out.getvalue())["variant_count"] == 3
    with pytest.raises(CommandError):
        call_command("report", "variants", "--from", "2026-03-02", "--to", "2026-03-01")
    with pytest.raises(CommandError):
        call_command(
            "report", "variants", "--from", "2026-03-02", "--to", "2026-03-02", "--kind", "x"
        )
