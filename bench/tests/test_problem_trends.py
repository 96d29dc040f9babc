"""The trend-detection bench fills, detects and reports at a tiny scale."""

from __future__ import annotations

import pytest

from bench.problem_trends import fill, measure
from steward.incidents.models import Incident
from steward.problems.models import ProblemProposal


@pytest.mark.django_db
def test_fills_and_measures_detection() -> None:
    # given a tiny window of incidents with three planted recurring issues
    facts = fill(incidents=400, cis=60, clusters=3, seed=2)
    # when detection is timed twice
    figures = measure(2, facts["_planted"])
    # then every incident is there, the planted issues came back, and the second run wrote nothing
    assert facts["incidents"] == 400 == Incident.objects.count()
    assert figures["planted_issues_found"] == 3 == figures["planted_issues"]
    assert figures["proposals"] == ProblemProposal.objects.count() >= 3
    assert len(figures["run_s"]) == 2 and figures["last_run_written"] == 0
    with pytest.raises(SystemExit):
        fill(incidents=1, cis=1, clusters=0, seed=2)
