"""``steward import bpic2013``: VINST incidents (XES), open problems (XES), problems (CSV)."""

from __future__ import annotations

import gzip
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.core.models import AuditEntry
from steward.incidents.models import Incident
from steward.interop.importers.base import run_import
from steward.interop.importers.bpic2013 import Bpic2013Importer
from steward.interop.models import ImportedRecord, ImportRunStatus
from steward.interop.tests.samples import (
    real_file,
    truncate,
    write_gz,
    xes_event,
    xes_log,
    xes_trace,
)
from steward.problems.models import Problem
from steward.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _incident_event(at: str, status: str, sub: str, *, team: str = "V30", who: str = "Frederic",
                    impact: str = "Medium") -> str:  # fmt: skip
    return xes_event(
        {
            "org:group": team,
            "resource country": "France",
            "organization country": "fr",
            "org:resource": who,
            "organization involved": "Org line A2",
            "org:role": "A2_4",
            "concept:name": status,
            "impact": impact,
            "product": "PROD582",
            "lifecycle:transition": sub,
            "time:timestamp": at,
        }
    )


def _incidents(tmp_path: Path) -> Path:
    return write_gz(
        tmp_path / "incidents.xes.gz",
        xes_log(
            [
                xes_trace(
                    "1-364285768",
                    [
                        _incident_event("2010-03-31T16:59:42+02:00", "Accepted", "In Progress"),
                        _incident_event(
                            "2010-03-31T17:45:48+02:00",
                            "Queued",
                            "Awaiting Assignment",
                            team="V5 3rd",
                        ),  # noqa: E501
                        _incident_event(
                            "2010-04-06T16:44:07+02:00",
                            "Accepted",
                            "Wait - User",
                            team="V5 3rd",
                            who="Anne",
                            impact="High",
                        ),  # noqa: E501
                        _incident_event(
                            "2010-04-07T10:00:00+02:00",
                            "Completed",
                            "Resolved",
                            team="V5 3rd",
                            who="Anne",
                            impact="High",
                        ),  # noqa: E501
                        _incident_event(
                            "2010-04-07T10:00:00+02:00",
                            "Completed",
                            "Resolved",
                            team="V5 3rd",
                            who="Anne",
                            impact="High",
                        ),  # noqa: E501
                        _incident_event(
                            "2010-04-14T10:00:00+02:00",
                            "Completed",
                            "Closed",
                            team="V5 3rd",
                            who="Anne",
                            impact="High",
                        ),  # noqa: E501
                    ],
                ),
                xes_trace(
                    "1-467153946",
                    [
                        _incident_event(
                            "2011-01-31T11:12:22+01:00", "Accepted", "In Progress", team="S42"
                        ),  # noqa: E501
                        _incident_event(
                            "2011-01-31T12:00:00+01:00", "Unmatched", "Unmatched", team="S42"
                        ),  # noqa: E501
                    ],
                ),
            ]
        ),
    )


def _run(path: Path, **options: Any) -> Any:
    return run_import(Bpic2013Importer(), path, quiet=True, **options)


def test_service_requests_become_incidents_with_their_history(tmp_path: Path) -> None:
    # given two VINST service requests
    outcome = _run(_incidents(tmp_path))
    # then both are incidents, the first closed as its events say
    assert outcome.run.source == "bpic2013-incidents"
    assert outcome.report.counts["incidents_created"] == 2
    record = ImportedRecord.objects.get(kind="incident", external_id="1-364285768")
    incident = Incident.objects.get(pk=record.object_id)
    assert incident.state == "closed"
    assert incident.opened_at == datetime(2010, 3, 31, 14, 59, 42, tzinfo=UTC)
    assert incident.resolved_at == datetime(2010, 4, 7, 8, 0, tzinfo=UTC)
    assert incident.closed_at == datetime(2010, 4, 14, 8, 0, tzinfo=UTC)
    assert incident.team is not None and incident.team.name == "V5 3rd"
    assert incident.team.support_line == 3
    assert incident.assignee is not None and incident.assignee.full_name == "Anne"
    assert (incident.impact, incident.urgency, incident.priority) == (1, 2, 2)
    assert incident.configuration_item is not None
    assert incident.configuration_item.name == "PROD582"
    assert incident.organisation is not None and "fr" in incident.organisation.name
    actions = list(
        AuditEntry.objects.for_object(incident)
        .order_by("created_at", "id")
        .values_list("action", flat=True)
    )
    assert actions[0] == "incident.created"
    assert actions.count("incident.transitioned") == 5
    assert "incident.reassigned" in actions
    # the same-instant duplicate is reported, not replayed twice
    assert outcome.run.summary["warnings"][0]["case"] == "1-364285768"


def test_an_unknown_status_pair_is_reported_and_kept(tmp_path: Path) -> None:
    outcome = _run(_incidents(tmp_path))
    unmapped = outcome.run.unmapped
    assert unmapped == [
        {
            "column": "status / sub status",
            "value": "('Unmatched', 'Unmatched')",
            "count": 1,
            "first_line": 99,
        }
    ]
    record = ImportedRecord.objects.get(kind="incident", external_id="1-467153946")
    assert record.data["status"] == "Unmatched"
    assert Incident.objects.get(pk=record.object_id).state == "in_progress"


def test_problems_csv_becomes_problems_and_reruns_add_nothing(tmp_path: Path) -> None:
    # given a closed-problems CSV (latin-1, semicolons, CRLF)
    header = (
        "Problem Number;Problem Change Date+Time;Problem Sub Status;Problem Status;"
        "Problem Latest Impact;Problem Involved ST Org line 3;Problem Involved ST Function Div;"
        "Problem Involved Owner ST;Product;Country;Problem Involved Action Owner Country;"
        "Problem Involved Action Owner First Name"
    )
    rows = [
        "1-109135791;2006-01-11T15:49:42+01:00;Awaiting Assignment;Queued;High;Org line A2;A2_2;J11 2nd;PROD191;se;INDIA;Minnie",  # noqa: E501
        "1-109135791;2012-03-15T11:53:52+01:00;In Progress;Accepted;High;Org line A2;A2_2;J11 2nd;PROD191;se;INDIA;Minnie",  # noqa: E501
        "1-109135791;2012-03-20T11:00:00+01:00;Closed;Completed;High;Org line A2;A2_2;J11 2nd;PROD191;se;INDIA;Zoë",  # noqa: E501
    ]
    path = tmp_path / "closed problems.csv"
    path.write_bytes(("\r\n".join([header, *rows]) + "\r\n").encode("latin-1"))
    # when it is imported twice
    first = _run(path)
    again = _run(path)
    # then one closed problem, once
    assert first.run.source == "bpic2013-problems"
    problem = Problem.objects.get()
    assert problem.state == "closed" and problem.closed_at is not None
    assert problem.team is not None and problem.team.name == "J11 2nd"
    assert problem.team.support_line == 2
    assert problem.assignee is not None and problem.assignee.full_name == "Zoë"
    assert again.report.counts == {"cases_already_imported": 1}
    assert Problem.objects.count() == 1


def test_open_problems_xes_is_recognised(tmp_path: Path) -> None:
    event = {
        "org:group": "Org line A2",
        "resource country": "Sweden",
        "org:resource": "Tomas",
        "oranization country": "cn",
        "org:role": "A2_2",
        "concept:name": "Accepted",
        "impact": "Medium",
        "product": "PROD753",
        "time:timestamp": "2006-11-07T10:00:36+01:00",
        "lifecycle:transition": "In Progress",
    }
    path = write_gz(
        tmp_path / "open.xes.gz", xes_log([xes_trace("1-147898401", [xes_event(event)])])
    )
    outcome = _run(path)
    assert outcome.run.source == "bpic2013-problems"
    problem = Problem.objects.get()
    assert problem.state == "root_cause_analysis"
    assert problem.team is None  # the open-problems log names the org line, not the team


def test_wrong_and_truncated_files(tmp_path: Path) -> None:
    # a gzip file of something else is refused with a reason, exit 1, nothing written
    other = write_gz(tmp_path / "other.xes.gz", xes_log([xes_trace("x", [xes_event({"a": "b"})])]))
    with pytest.raises(CommandError) as refused:
        call_command("importlog", "bpic2013", str(other), "--quiet")
    assert refused.value.returncode == 1 and "not a BPI Challenge 2013" in str(refused.value)
    assert Ticket.objects.count() == 0
    # a truncated gzip: whole cases only, the run failed with the reason
    many = [
        xes_trace(
            f"1-{n}",
            [_incident_event(f"2010-03-{n % 28 + 1:02d}T10:00:00+02:00", "Completed", "Closed")],
        )
        for n in range(1, 301)
    ]
    cut = truncate(write_gz(tmp_path / "many.xes.gz", xes_log(many)), keep=0.8)
    with gzip.open(cut) as handle, pytest.raises(EOFError):
        handle.read()
    outcome = _run(cut)
    assert outcome.run.status == ImportRunStatus.FAILED
    assert "ends early" in outcome.run.errors[-1]["message"]
    assert outcome.run.errors[-1]["line"] > 1
    assert 0 < Incident.objects.count() < 300
    for incident in Incident.objects.all():
        assert AuditEntry.objects.for_object(incident).filter(action="incident.created").exists()


def test_command_prints_the_summary(tmp_path: Path) -> None:
    # an unmapped value is not an error: the run completes (exit 0) and lists it
    out = io.StringIO()
    call_command("importlog", "bpic2013", str(_incidents(tmp_path)), "--quiet", stdout=out)
    text = out.getvalue()
    assert "(bpic2013-incidents): completed" in text
    assert "Unmatched" in text and "first on line 99" in text


def test_real_incidents_excerpt(tmp_path: Path) -> None:
    # given the real incidents log cut after its first traces (a few thousand event lines)
    source = real_file("bpic2013-vinst", "BPI_Challenge_2013_incidents.xes.gz")
    lines: list[str] = []
    with gzip.open(source, "rt", encoding="utf-8") as handle:
        traces = 0
        for line in handle:
            lines.append(line)
            if line.strip() == "</trace>":
                traces += 1
                if traces == 40:
                    break
    lines.append("</log>\n")
    excerpt = write_gz(tmp_path / "excerpt.xes.gz", "".join(lines))
    # when it is imported
    outcome = _run(excerpt)
    # then forty incidents with their events
    assert outcome.run.status == ImportRunStatus.COMPLETED
    assert outcome.report.counts["incidents_created"] == 40
    record = ImportedRecord.objects.get(kind="incident", external_id="1-364285768")
    incident = Incident.objects.get(pk=record.object_id)
    assert incident.opened_at == datetime(2010, 3, 31, 14, 59, 42, tzinfo=UTC)
    assert AuditEntry.objects.for_object(incident).count() > 10
