"""The knowledge suggestion bench fills, indexes and measures at a tiny scale."""

from __future__ import annotations

import pytest

from bench.knowledge_suggest import fill, measure
from steward.knowledge.models import Article


@pytest.mark.django_db
def test_fills_indexes_and_measures() -> None:
    # given a tiny knowledge base from the bench's generator
    facts = fill(60, seed=3)
    # when suggestions are timed
    figures = measure(10, seed=3)
    # then every article is indexed and both readers got suggestions, with percentiles
    assert facts["articles"] == 60 == Article.objects.published().count()
    assert Article.objects.filter(audience="agents").count() == 20
    for reader in ("requester", "agent"):
        assert figures[reader]["mean_suggestions"] > 0
        assert 0 < figures[reader]["p50_ms"] <= figures[reader]["p95_ms"]
    with pytest.raises(SystemExit):
        fill(1, seed=3)
