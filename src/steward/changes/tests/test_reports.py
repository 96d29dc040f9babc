"""Change success rate and emergency ratio: the service, and ``steward report changes``."""

from __future__ import annotations

import json
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from steward.changes.models import Change
from steward.changes.services import reports
from steward.changes.tests.factories import make_change

pytestmark = pytest.mark.django_db


def _closed(outcome: str, days_ago: int = 0, change_type: str = "normal") -> Change:
    change = make_change(change_type=change_type)
    at = timezone.now() - timedelta(days=days_ago)
    Change.objects.filter(pk=change.pk).update(
        outcome=outcome, closed_at=at, state="closed", state_category="closed"
    )
    return change


def test_success_rate_counts_closed_changes_with_an_outcome_in_the_period() -> None:
    for outcome in ("successful", "successful_with_issues", "failed", "backed_out"):
        _closed(outcome)
    _closed("failed", days_ago=40)  # outside the period
    make_change(change_type="emergency")  # raised, not closed
    today = timezone.localdate()
    figures = reports.change_figures(actor=None, since=today - timedelta(days=7), until=today)
    assert (figures.reviewed, figures.successful, figures.successful_with_issues) == (4, 1, 1)
    assert (figures.failed, figures.backed_out, figures.success_rate) == (1, 1, 0.5)
    # raised in the period: the five made now (the old one was raised now too)
    assert (figures.raised, figures.emergency) == (6, 1)
    assert figures.emergency_ratio == round(1 / 6, 4)


def test_an_empty_period_has_no_rates() -> None:
    figures = reports.change_figures(actor=None, since=date(2020, 1, 1), until=date(2020, 1, 2))
    assert figures.success_rate is None and figures.emergency_ratio is None


def test_the_report_command_prints_text_and_json() -> None:
    _closed("successful")
    today = timezone.localdate().isoformat()
    out = StringIO()
    call_command("report", "changes", "--from", today, "--to", today, "--json", stdout=out)
    data = json.loads(out.getvalue())
    assert data["success_rate"] == 1.0 and data["raised"] == 1
    out = StringIO()
    call_command("report", "changes", "--from", today, "--to", today, stdout=out)
    assert "success rate:     100.0%" in out.getvalue()
