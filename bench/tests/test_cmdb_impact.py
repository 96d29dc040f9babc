"""The CMDB impact benchmark's generator and measurement, at a tiny size."""

from __future__ import annotations

import pytest

from bench.cmdb_impact import generate, measure, percentile
from steward.cmdb.models import ImpactEdge, Relationship


def test_percentile_is_nearest_rank() -> None:
    assert percentile([5, 1, 3, 2, 4], 0.5) == 3
    assert percentile(list(range(1, 101)), 0.95) == 95


@pytest.mark.django_db
def test_generates_the_shape_asked_for_and_measures_it() -> None:
    counts = generate(cis=400, relationships=1200, seed=3, batch=100)
    assert counts["relationships"] == 1200 == Relationship.objects.count()
    # every library type carries impact one way: one edge per relationship
    assert ImpactEdge.objects.count() == counts["impact_edges"] == 1200
    figures = measure(samples=5, depth=5, seed=3)
    assert figures["downstream"]["p95_ms"] > 0
    assert figures["upstream"]["max_reached"] >= 1


def test_refuses_a_database_not_named_for_benchmarks(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    from bench.cmdb_impact import refuse_unless_bench_database

    monkeypatch.setitem(connection.settings_dict, "NAME", "steward")
    with pytest.raises(SystemExit, match="refusing to empty the CMDB"):
        refuse_unless_bench_database()
    monkeypatch.setitem(connection.settings_dict, "NAME", "/tmp/x/steward_bench")
    refuse_unless_bench_database()
