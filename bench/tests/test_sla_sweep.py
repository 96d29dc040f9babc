"""The SLA benchmark's own parts, small: due-time rate, fill, sweep and report."""

from __future__ import annotations

import pytest

from bench import sla_sweep


def test_due_rate_counts_computations() -> None:
    figures = sla_sweep.due_rate(seconds=0.05)
    assert figures["due_computations"] > 0 and figures["per_second"] > 0


@pytest.mark.django_db
def test_fill_sweep_and_report_on_a_small_set() -> None:
    filled = sla_sweep.fill(50, 0.1, batch=20)
    assert filled["clocks"] == 50
    swept = sla_sweep.measure()
    assert (swept["breaches_acted"], swept["checked"], swept["idle_checked"]) == (5, 5, 0)
    report = sla_sweep.measure_report()
    assert report["report_clocks"] == 50
