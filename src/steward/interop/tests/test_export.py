"""Process-mining exports: XES and OCEL 2.0 read back by pm4py, with the right cases and events."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pm4py
import pytest
from django.core.management import CommandError, call_command

from steward.accounts.tests.factories import make_agent, make_team
from steward.governance.tests.factories import make_history
from steward.incidents import services as incidents
from steward.incidents.tests.factories import make_incident
from steward.tickets import services as tickets

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)
XES = "{http://www.xes-standard.org/}"


def _histories() -> None:
    red, blue = make_team(name="Red"), make_team(name="Blue")
    # Open, Reassign, In progress, Resolved, Closed: 5 events
    make_history(
        opened=DAY,
        team=red,
        moves=[(DAY + 2 * H, "in_progress"), (DAY + 3 * H, "resolved"), (DAY + 4 * H, "closed")],
        hand_offs=[(DAY + H, red, blue)],
    )
    make_history(opened=DAY + H, moves=[(DAY + 2 * H, "cancelled")])  # Open, Cancelled: 2
    make_history(opened=DAY + 3 * H)  # Open: 1
    make_history(opened=DAY + 48 * H)  # outside the day


def _export(tmp_path: Path, format: str) -> Path:
    out = tmp_path / f"log.{format}"
    call_command("export", format, "--from", "2026-03-02", "--to", "2026-03-02", "-o", str(out))
    return out


def test_xes_follows_the_standard_and_pm4py_reads_it(tmp_path: Path) -> None:
    _histories()

    path = _export(tmp_path, "xes")

    root = ET.parse(path).getroot()
    assert root.tag == f"{XES}log"
    traces = root.findall(f"{XES}trace")
    assert len(traces) == 3
    for event in root.iter(f"{XES}event"):
        keys = {child.get("key"): child.tag for child in event}
        assert keys["concept:name"] == f"{XES}string"
        assert keys["time:timestamp"] == f"{XES}date"
        assert keys["org:resource"] == f"{XES}string"
        assert keys["lifecycle:transition"] == f"{XES}string"
    log = pm4py.read_xes(str(path))
    assert log["case:concept:name"].nunique() == 3
    assert len(log) == 8
    first = log[log["case:concept:name"] == log["case:concept:name"].iloc[0]]
    assert list(first["concept:name"]) == ["Open", "Reassign", "In progress", "Resolved", "Closed"]


def test_ocel_is_read_by_pm4py(tmp_path: Path) -> None:
    _histories()

    path = _export(tmp_path, "ocel")

    data = json.loads(path.read_text())
    assert len(data["events"]) == 8
    ocel = pm4py.read_ocel2_json(str(path))
    assert len(ocel.events) == 8
    incidents_ = ocel.objects[ocel.objects["ocel:type"] == "incident"]
    assert len(incidents_) == 3
    assert set(ocel.objects["ocel:type"]) == {"incident", "person", "team"}
    assert {"Open", "Reassign", "Cancelled"} <= set(ocel.events["ocel:activity"])


def test_native_comments_assignments_and_priority_are_events(tmp_path: Path) -> None:
    agent = make_agent()
    team = make_team(members=[agent])
    incident = make_incident()
    incidents.reassign(actor=None, incident=incident, team=team, assignee=agent)
    tickets.add_comment(actor=agent, ticket=incident, body="Looking.")
    tickets.add_comment(actor=agent, ticket=incident, body="Note.", is_public=False)
    incidents.update_incident(actor=None, incident=incident, impact=1, urgency=1)
    today = datetime.now(UTC).date().isoformat()
    out = tmp_path / "native.xes"

    call_command("export", "xes", "--from", today, "--to", today, "-o", str(out))

    log = pm4py.read_xes(str(out))
    assert list(log["concept:name"]) == [
        "Open",
        "Assign",
        "Reply",
        "Work note",
        "Change priority",
    ]
    assert set(log["org:resource"]) == {"system", agent.email}


def test_bad_arguments_are_refused(tmp_path: Path) -> None:
    with pytest.raises(CommandError):
        call_command("export", "xes", "--from", "2026-03-02", "--to", "2026-03-01", "-o", "x")
    with pytest.raises(CommandError):
        call_command(
            "export",
            "ocel",
            "--from",
            "2026-03-02",
            "--to",
            "2026-03-02",
            "--kind",
            "nope",
            "-o",
            str(tmp_path / "x"),
        )
    assert not (tmp_path / "x").exists()
