"""``steward import servicenow-incidents``: records, history, mappings, reruns, bad input."""

from __future__ import annotations

import io
import lzma
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.accounts.tests.factories import make_admin
from steward.core.models import AuditEntry
from steward.incidents.models import Incident
from steward.interop.importers.base import run_import
from steward.interop.importers.servicenow import ServiceNowImporter
from steward.interop.models import ImportedRecord, ImportRun, ImportRunStatus
from steward.interop.tests.samples import (
    SN_HEADER,
    real_file,
    sn_row,
    truncate,
    write_xz,
)
from steward.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def _log(tmp_path: Path) -> Path:
    """Three incidents: one reassigned, held, resolved, reopened and closed; one plain; one
    with a placeholder state, a missing caller and an unknown contact type."""
    return write_xz(
        tmp_path / "incidents.csv.xz",
        [
            SN_HEADER,
            sn_row("INC0000101", "New", "1/3/2016 08:05", group="Group 1", assignee="?"),
            sn_row(
                "INC0000101", "Active", "1/3/2016 09:00", group="Group 2", assignee="Resolver 2"
            ),
            sn_row(
                "INC0000101",
                "Awaiting User Info",
                "1/3/2016 10:00",
                group="Group 2",
                assignee="Resolver 2",
                impact="1 - High",
                priority="2 - High",
            ),
            sn_row(
                "INC0000101",
                "Resolved",
                "1/3/2016 12:00",
                group="Group 2",
                assignee="Resolver 2",
                impact="1 - High",
                priority="2 - High",
            ),  # noqa: E501
            sn_row(
                "INC0000101",
                "Active",
                "2/3/2016 09:00",
                group="Group 2",
                assignee="Resolver 2",
                impact="1 - High",
                priority="2 - High",
            ),  # noqa: E501
            sn_row(
                "INC0000101",
                "Resolved",
                "2/3/2016 11:00",
                group="Group 2",
                assignee="Resolver 2",
                impact="1 - High",
                priority="2 - High",
            ),  # noqa: E501
            sn_row(
                "INC0000101",
                "Resolved",
                "2/3/2016 11:00",
                group="Group 2",
                assignee="Resolver 2",
                impact="1 - High",
                priority="2 - High",
            ),  # noqa: E501
            sn_row(
                "INC0000101",
                "Closed",
                "7/3/2016 11:00",
                group="Group 2",
                assignee="Resolver 2",
                impact="1 - High",
                priority="2 - High",
            ),  # noqa: E501
            sn_row("INC0000102", "New", "3/3/2016 08:00", opened="3/3/2016 07:55"),
            sn_row("INC0000102", "Closed", "3/3/2016 09:00", opened="3/3/2016 07:55"),
            sn_row("INC0000103", "New", "4/3/2016 08:00", caller="?", contact="Fax"),
            sn_row("INC0000103", "-100", "4/3/2016 08:30", caller="?", contact="Fax"),
            sn_row("INC0000103", "Closed", "4/3/2016 09:00", caller="?", contact="Fax"),
        ],
    )


def _run(path: Path, **options: Any) -> Any:
    return run_import(ServiceNowImporter(), path, quiet=True, **options)


def _entries(incident: Incident) -> list[tuple[str, dict[str, Any]]]:
    rows = AuditEntry.objects.for_object(incident).order_by("created_at", "id")
    return [(e.action, e.changes) for e in rows]


def test_incidents_end_as_their_history_says(tmp_path: Path) -> None:
    # given the small log
    path = _log(tmp_path)
    # when it is imported
    outcome = _run(path)
    # then three incidents keep the source's numbers
    assert outcome.run.status == ImportRunStatus.COMPLETED
    assert outcome.report.counts["incidents_created"] == 3
    incident = Incident.objects.get(number="INC0000101")
    assert incident.state == "closed" and incident.state_category == "closed"
    assert incident.opened_at == datetime(2016, 3, 1, 8, 0, tzinfo=UTC)
    assert incident.resolved_at == datetime(2016, 3, 2, 11, 0, tzinfo=UTC)
    assert incident.closed_at == datetime(2016, 3, 7, 11, 0, tzinfo=UTC)
    assert incident.reopen_count == 1
    assert incident.reassignment_count == 1
    assert (incident.impact, incident.priority) == (1, 2)
    assert incident.team is not None and incident.team.name == "Group 2"
    assert incident.assignee is not None and incident.assignee.full_name == "Resolver 2"
    assert incident.contact_type == "phone"
    assert incident.category is not None and incident.subcategory is not None
    assert incident.subcategory.parent_id == incident.category.pk


def test_history_is_replayed_at_the_original_instants_in_the_services_shape(
    tmp_path: Path,
) -> None:
    # given an imported log
    _run(_log(tmp_path))
    incident = Incident.objects.get(number="INC0000101")
    # when its audit entries are read
    entries = _entries(incident)
    actions = [action for action, _ in entries]
    # then they are what the services write, in order
    assert actions == [
        "incident.created",
        "incident.updated",
        "incident.reassigned",
        "incident.transitioned",
        "incident.updated",
        "incident.transitioned",
        "incident.transitioned",
        "incident.transitioned",
        "incident.transitioned",
        "incident.transitioned",
    ]
    created = entries[0][1]
    assert created["number"] == [None, "INC0000101"]
    assert created["state"] == [None, "new"]
    assert entries[2][1]["reassignment_count"] == [0, 1]
    states = [c["state"] for a, c in entries if a == "incident.transitioned"]
    assert states == [
        ["new", "in_progress"],
        ["in_progress", "on_hold"],
        ["on_hold", "resolved"],
        ["resolved", "in_progress"],
        ["in_progress", "resolved"],
        ["resolved", "closed"],
    ]
    hold = next(c for a, c in entries if c.get("state") == ["in_progress", "on_hold"])
    assert hold["hold_reason"] == ["", "awaiting_caller"]
    first = AuditEntry.objects.for_object(incident).order_by("created_at", "id").first()
    assert first is not None
    assert first.created_at == datetime(2016, 3, 1, 8, 0, tzinfo=UTC)
    assert first.source == "import"
    assert first.actor_label.startswith("opened-by-1@")


def test_unmapped_and_placeholder_values_are_reported_with_their_first_line(
    tmp_path: Path,
) -> None:
    # given a log with an unknown contact type, a placeholder state and no caller
    outcome = _run(_log(tmp_path))
    unmapped = {(r["column"], r["value"]): r for r in outcome.run.unmapped}
    # then each is counted with the line it was first met on, nothing dropped
    assert unmapped[("contact_type", "Fax")] == {
        "column": "contact_type",
        "value": "Fax",
        "count": 1,
        "first_line": 12,
    }
    assert unmapped[("incident_state", "-100")]["first_line"] == 13
    assert unmapped[("caller_id", "?")]["first_line"] == 12
    warnings = outcome.run.summary["warnings"]
    assert {k: v for k, v in warnings[1].items() if k != "message"} == {
        "line": 13,
        "case": "INC0000103",
    }
    assert warnings[0]["line"] == 8 and "Duplicate event" in warnings[0]["message"]
    # and the raw value stays on the record
    incident = Incident.objects.get(number="INC0000103")
    record = ImportedRecord.objects.get(kind="incident", external_id="INC0000103")
    assert record.data["contact_type"] == "Fax"
    assert record.object_id == str(incident.pk)
    assert incident.requester.full_name == "Unknown caller"


def test_a_second_run_adds_nothing(tmp_path: Path) -> None:
    # given an imported log
    path = _log(tmp_path)
    _run(path)
    counts = (Ticket.objects.count(), AuditEntry.objects.count(), ImportedRecord.objects.count())
    # when it is imported again
    again = _run(path)
    # then nothing is added
    assert again.report.counts["cases_already_imported"] == 3
    assert "incidents_created" not in again.report.counts
    assert (
        Ticket.objects.count(),
        AuditEntry.objects.count(),
        ImportedRecord.objects.count(),
    ) == counts


def test_a_stopped_run_is_continued_without_duplicates(tmp_path: Path) -> None:
    # given a run stopped after one case
    path = _log(tmp_path)
    stopped = _run(path, stop_after=1, batch_size=1)
    assert stopped.run.status == ImportRunStatus.FAILED
    assert stopped.run.cases_committed == 1
    assert Incident.objects.count() == 1
    # when the same command runs again
    resumed = _run(path)
    # then the same run completes from where it stopped
    assert resumed.run.pk == stopped.run.pk
    assert resumed.run.status == ImportRunStatus.COMPLETED
    assert resumed.run.resumed == 1
    assert resumed.run.cases_committed == 3
    assert resumed.report.counts["incidents_created"] == 3
    assert sorted(Incident.objects.values_list("number", flat=True)) == [
        "INC0000101",
        "INC0000102",
        "INC0000103",
    ]
    one = Incident.objects.get(number="INC0000101")
    assert AuditEntry.objects.for_object(one).filter(action="incident.created").count() == 1


def test_a_truncated_file_keeps_only_whole_cases_and_reports_the_line(tmp_path: Path) -> None:
    # given a log cut off in the middle (an xz stream without its end)
    path = _log(tmp_path)
    cut = truncate(path, keep=0.7)
    # when it is imported
    outcome = _run(cut)
    # then it fails with the reason, and whatever was written is whole incidents only
    assert outcome.run.status == ImportRunStatus.FAILED
    error = outcome.run.errors[-1]
    assert "ends early" in error["message"]
    for incident in Incident.objects.all():
        assert incident.state == "closed"
        assert AuditEntry.objects.for_object(incident).filter(action="incident.created").exists()


def test_the_time_zone_of_zone_less_times_is_an_option(tmp_path: Path) -> None:
    # given the log read as Sao Paulo time (UTC-3 in March 2016)
    outcome = run_import(ServiceNowImporter(tz="America/Sao_Paulo"), _log(tmp_path), quiet=True)
    # then instants are shifted by three hours and the run says which zone it assumed
    incident = Incident.objects.get(number="INC0000101")
    assert incident.opened_at == datetime(2016, 3, 1, 11, 0, tzinfo=UTC)
    assert outcome.run.time_zone == "America/Sao_Paulo"


def test_command_exit_codes(tmp_path: Path) -> None:
    path = _log(tmp_path)
    out = io.StringIO()
    # a clean import exits 0 and prints the summary
    call_command("importlog", "servicenow-incidents", str(path), "--quiet", stdout=out)
    assert "completed" in out.getvalue() and "contact_type = 'Fax'" in out.getvalue()
    # usage errors: 2
    with pytest.raises(CommandError) as unknown:
        call_command("importlog", "nosuch", str(path))
    assert unknown.value.returncode == 2
    with pytest.raises(CommandError) as missing:
        call_command("importlog", "servicenow-incidents", str(tmp_path / "none.csv.xz"))
    assert missing.value.returncode == 2
    with pytest.raises(CommandError) as zone:
        call_command("importlog", "servicenow-incidents", str(path), "--tz", "Mars/Olympus")
    assert zone.value.returncode == 2
    # a stopped run: 1
    other = write_xz(
        tmp_path / "other.csv.xz",
        [
            SN_HEADER,
            sn_row("INC0000201", "New", "1/3/2016 09:00"),
            sn_row("INC0000202", "New", "1/3/2016 09:00"),
        ],
    )  # noqa: E501
    with pytest.raises(SystemExit) as stopped:
        call_command(
            "importlog", "servicenow-incidents", str(other), "--quiet", "--stop-after", "1",
            stdout=io.StringIO(),
        )  # fmt: skip
    assert stopped.value.code == 1


def test_a_wrong_file_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    # given a CSV that is not the ServiceNow log
    path = tmp_path / "problems.csv.xz"
    with lzma.open(path, "wt") as handle:
        handle.write("Problem Number;Problem Status\n1-1;Queued\n")
    # when it is imported as one
    with pytest.raises(CommandError) as refused:
        call_command("importlog", "servicenow-incidents", str(path), "--quiet")
    # then nothing is written and the reason names the missing columns
    assert refused.value.returncode == 1
    assert "not a ServiceNow incident event log" in str(refused.value)
    assert ImportRun.objects.count() == 0 and Ticket.objects.count() == 0


def test_timeline_and_sla_replay_work_on_an_imported_incident(tmp_path: Path, client: Any) -> None:
    from datetime import date

    from steward.accounts.tests.factories import make_organisation
    from steward.sla.models import SlaClock
    from steward.sla.tests.factories import make_agreement, make_target

    # given a resolution target for the imported customer's moderate incidents
    customer = make_organisation(code="servicenow-incidents-servicenow", name="SN customer")
    agreement = make_agreement(customer=customer, valid_from=date(2015, 1, 1))
    make_target(agreement, ticket_kind="incidents.incident", priority=3, duration=2, unit="hours")
    # when the log is imported
    _run(_log(tmp_path))
    incident = Incident.objects.get(number="INC0000102")
    # then the clock computed from the imported history is live and agrees with its replay
    clock = SlaClock.objects.get(ticket=incident)
    assert clock.state == "met"  # opened 07:55, closed 09:00: within two hours
    assert clock.origin == incident.opened_at
    out = io.StringIO()
    call_command("sla", "replay", incident.number, stdout=out)  # exits 1 if they differ
    assert out.getvalue().strip().endswith(": agrees")
    # and the ticket page shows the imported history on its timeline
    client.force_login(make_admin())
    page = client.get(incident.get_absolute_url())
    assert page.status_code == 200
    text = page.content.decode()
    assert "opened the ticket" in text
    assert "moved it from New to Closed" in text


def test_real_log_excerpt(tmp_path: Path) -> None:
    # given the first 2,000 lines of the real event log
    source = real_file("servicenow-incident-log", "incident_event_log.csv.xz")
    with lzma.open(source, "rt", encoding="utf-8", newline="") as handle:
        lines = [next(handle).rstrip("\n") for _ in range(2000)]
    excerpt = write_xz(tmp_path / "excerpt.csv.xz", lines)
    # when it is imported
    outcome = _run(excerpt)
    # then every incident of it is there, closed, with its history (the last case may be cut)
    numbers = {line.split(",", 1)[0] for line in lines[1:]}
    created = outcome.report.counts["incidents_created"]
    assert created == len(numbers)
    assert Incident.objects.filter(state="closed").count() >= created - 1
    first = Incident.objects.get(number="INC0000045")
    assert first.state == "closed"
    assert first.resolved_at == datetime(2016, 2, 29, 8, 53, tzinfo=UTC)
    assert AuditEntry.objects.filter(source="import").count() >= 1999


def test_two_names_with_one_slug_stay_two_people(tmp_path: Path) -> None:
    # given two assignees whose names make the same e-mail slug, in one batch
    path = write_xz(
        tmp_path / "slugs.csv.xz",
        [
            SN_HEADER,
            sn_row("INC0000401", "New", "1/3/2016 08:05", assignee="Resolver 9"),
            sn_row("INC0000402", "New", "1/3/2016 08:05", assignee="Resolver-9"),
        ],
    )
    # when they are imported
    _run(path)
    # then each incident has its own assignee
    one = Incident.objects.get(number="INC0000401").assignee
    two = Incident.objects.get(number="INC0000402").assignee
    assert one is not None and two is not None and one.pk != two.pk
    assert {one.full_name, two.full_name} == {"Resolver 9", "Resolver-9"}
