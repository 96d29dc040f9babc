"""``steward import bpic2014-changes``: Rabobank change records grouped by CI, as changes."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.changes.models import Change
from steward.cmdb.models import ConfigurationItem
from steward.core.models import AuditEntry
from steward.interop.importers.base import run_import
from steward.interop.importers.bpic2014 import Bpic2014Importer
from steward.interop.models import ImportedRecord, ImportRunStatus
from steward.interop.tests.samples import real_file, write_gz, xes_event, xes_log, xes_trace

pytestmark = pytest.mark.django_db


def _row(instance: str, change: str, ci: str, lifecycle: str, at: str, **extra: str) -> str:
    values = {
        "concept:instance": instance,
        "Change ID": change,
        "Change Type": extra.pop("change_type", "Standard Change Type 25"),
        "Risk Assessment": extra.pop("risk", "Minor Change"),
        "Emergency Change": extra.pop("emergency", "false"),
        "CAB-approval needed": "false",
        "Originated from": "Problem",
        "Change record Open Time": "2013-11-04T08:38:00.000+01:00",
        "Change record Close Time": "2013-11-04T12:04:00.000+01:00",
        "time:timestamp": at,
        "concept:name": ci,
        "CI Type (aff)": "database",
        "CI Subtype (aff)": "Applicatie Database",
        "Service Component WBS (aff)": "WBS000253",
        "lifecycle:transition": lifecycle,
        **extra,
    }
    return xes_event(values)


def _log(tmp_path: Path) -> Path:
    actual = {
        "Actual Start": "2013-11-04T10:03:00.000+01:00",
        "Actual End": "2013-11-04T11:03:00.000+01:00",
    }
    return write_gz(
        tmp_path / "changes.xes.gz",
        xes_log(
            [
                xes_trace(
                    "ADB000001",
                    [
                        _row(
                            "0",
                            "C1",
                            "ADB000001",
                            "start",
                            "2013-11-04T10:00:00.000+01:00",
                            **actual,
                        ),  # noqa: E501
                        _row(
                            "0",
                            "C1",
                            "ADB000001",
                            "complete",
                            "2013-11-04T11:00:00.000+01:00",
                            **actual,
                        ),  # noqa: E501
                        _row(
                            "1",
                            "C2",
                            "ADB000001",
                            "start",
                            "2013-11-05T10:00:00.000+01:00",
                            emergency="true",
                            risk="Major Business Change",
                        ),  # noqa: E501
                        _row(
                            "1",
                            "C2",
                            "ADB000001",
                            "complete",
                            "2013-11-05T10:00:00.000+01:00",
                            emergency="true",
                            risk="Major Business Change",
                        ),  # noqa: E501
                    ],
                ),
                xes_trace(
                    "APP000002",
                    [
                        _row(
                            "0",
                            "C1",
                            "APP000002",
                            "start",
                            "2013-11-04T09:30:00.000+01:00",
                            **actual,
                        ),  # noqa: E501
                        _row(
                            "0",
                            "C1",
                            "APP000002",
                            "complete",
                            "2013-11-04T11:30:00.000+01:00",
                            **actual,
                        ),  # noqa: E501
                        _row(
                            "1",
                            "C3",
                            "APP000002",
                            "start",
                            "2013-11-06T10:00:00.000+01:00",
                            change_type="Odd Type 1",
                        ),  # noqa: E501
                        _row(
                            "1",
                            "C3",
                            "APP000002",
                            "complete",
                            "2013-11-06T11:00:00.000+01:00",
                            change_type="Odd Type 1",
                        ),  # noqa: E501
                    ],
                ),
            ]
        ),
    )


def _run(path: Path, **options: Any) -> Any:
    return run_import(Bpic2014Importer(), path, quiet=True, **options)


def _change(external: str) -> Change:
    record = ImportedRecord.objects.get(kind="change", external_id=external)
    return Change.objects.get(pk=record.object_id)


def test_rows_spread_over_cis_become_one_change_each(tmp_path: Path) -> None:
    # given three changes, one of them on two CIs
    outcome = _run(_log(tmp_path))
    # then three changes
    assert outcome.run.status == ImportRunStatus.COMPLETED
    assert outcome.report.counts["changes_created"] == 3
    implemented = _change("C1")
    assert implemented.change_type == "standard" and implemented.risk_class == "low"
    assert sorted(implemented.affected_cis.values_list("name", flat=True)) == [
        "ADB000001",
        "APP000002",
    ]
    assert implemented.planned_start == datetime(2013, 11, 4, 8, 30, tzinfo=UTC)
    assert implemented.planned_end == datetime(2013, 11, 4, 10, 30, tzinfo=UTC)
    assert implemented.actual_start == datetime(2013, 11, 4, 9, 3, tzinfo=UTC)
    assert implemented.actual_end == datetime(2013, 11, 4, 10, 3, tzinfo=UTC)
    assert implemented.opened_at == datetime(2013, 11, 4, 7, 38, tzinfo=UTC)
    assert implemented.closed_at == datetime(2013, 11, 4, 11, 4, tzinfo=UTC)
    assert implemented.state == "closed"
    assert implemented.service is not None and implemented.service.name == "WBS000253"
    states = [
        e.changes["state"]
        for e in AuditEntry.objects.for_object(implemented)
        .filter(action="change.transitioned")
        .order_by("created_at", "id")
    ]
    assert states == [
        ["new", "scheduled"],
        ["scheduled", "implementing"],
        ["implementing", "review"],
        ["review", "closed"],
    ]
    # an emergency change never implemented is cancelled; its instant window got a length
    emergency = _change("C2")
    assert emergency.change_type == "emergency" and emergency.risk_class == "high"
    assert emergency.state == "cancelled"
    assert emergency.planned_end is not None and emergency.planned_start is not None
    assert emergency.planned_end > emergency.planned_start
    assert outcome.report.counts["zero_length_windows_widened"] == 1


def test_unknown_change_type_is_reported_and_cis_are_made_once(tmp_path: Path) -> None:
    path = _log(tmp_path)
    outcome = _run(path)
    assert outcome.run.unmapped[0]["column"] == "Change Type"
    assert outcome.run.unmapped[0]["value"] == "Odd Type"
    assert _change("C3").change_type == "normal"
    assert ImportedRecord.objects.get(kind="change", external_id="C3").data["Change Type"] == (
        "Odd Type 1"
    )
    cis = ConfigurationItem.objects.count()
    again = _run(path)
    assert again.report.counts == {"cases_already_imported": 3}
    assert ConfigurationItem.objects.count() == cis
    assert Change.objects.count() == 3


def test_a_wrong_file_is_refused(tmp_path: Path) -> None:
    other = write_gz(tmp_path / "x.xes.gz", xes_log([xes_trace("x", [xes_event({"a": "b"})])]))
    with pytest.raises(CommandError) as refused:
        call_command("importlog", "bpic2014-changes", str(other), "--quiet")
    assert refused.value.returncode == 1
    assert "not the BPI Challenge 2014 change log" in str(refused.value)


def test_real_changes_excerpt(tmp_path: Path) -> None:
    # given the real change log cut after its first 30 CIs
    source = real_file("bpic2014-changes-partial", "BPI_2014_Detail_Change.xes.gz")
    lines: list[str] = []
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        traces = 0
        for line in handle:
            lines.append(line)
            if line.strip() == "</trace>":
                traces += 1
                if traces == 30:
                    break
    lines.append("</log>\n")
    outcome = _run(write_gz(tmp_path / "excerpt.xes.gz", "".join(lines)))
    assert outcome.run.status == ImportRunStatus.COMPLETED
    assert outcome.report.counts["changes_created"] > 30
    change = _change("C00005076")
    assert change.affected_cis.filter(name="ADB000001").exists()
    assert change.actual_start == datetime(2013, 11, 4, 9, 3, tzinfo=UTC)
