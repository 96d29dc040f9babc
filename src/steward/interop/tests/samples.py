"""Small event logs written by the tests (compressed as the real files are), and the real
files beside the repository (``STEWARD_SHARED_DATA``, default ``../shared/data``)."""

from __future__ import annotations

import gzip
import lzma
import os
from pathlib import Path

import pytest

from steward.interop.importers.servicenow import COLUMNS

REPO = Path(__file__).resolve().parents[4]

SN_HEADER = (
    "number,incident_state,active,reassignment_count,reopen_count,sys_mod_count,made_sla,"
    "caller_id,opened_by,opened_at,sys_created_by,sys_created_at,sys_updated_by,sys_updated_at,"
    "contact_type,location,category,subcategory,u_symptom,cmdb_ci,impact,urgency,priority,"
    "assignment_group,assigned_to,knowledge,u_priority_confirmation,notify,problem_id,rfc,"
    "vendor,caused_by,closed_code,resolved_by,resolved_at,closed_at"
)
assert set(SN_HEADER.split(",")) >= COLUMNS


def sn_row(
    number: str,
    state: str,
    updated: str,
    *,
    caller: str = "Caller 1",
    group: str = "Group 1",
    assignee: str = "Resolver 1",
    impact: str = "2 - Medium",
    urgency: str = "2 - Medium",
    priority: str = "3 - Moderate",
    contact: str = "Phone",
    category: str = "Category 1",
    code: str = "code 6",
    opened: str = "1/3/2016 08:00",
    resolved: str = "1/3/2016 12:00",
    closed: str = "6/3/2016 12:00",
    reassignments: int = 0,
    reopens: int = 0,
    ci: str = "?",
) -> str:
    values = [
        number, state, "true", str(reassignments), str(reopens), "0", "true",
        caller, "Opened by 1", opened, "Created by 1", opened, "Updated by 2", updated,
        contact, "Location 1", category, "Subcategory 1", "Symptom 1", ci,
        impact, urgency, priority, group, assignee, "false", "false", "Do Not Notify",
        "?", "?", "?", "?", code, "Resolved by 1", resolved, closed,
    ]  # fmt: skip
    return ",".join(values)


def write_xz(path: Path, lines: list[str]) -> Path:
    with lzma.open(path, "wt", encoding="utf-8", newline="") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def write_gz(path: Path, text: str) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.write(text)
    return path


def truncate(path: Path, keep: float = 0.6) -> Path:
    data = path.read_bytes()
    out = path.with_name("cut-" + path.name)
    out.write_bytes(data[: int(len(data) * keep)])
    return out


def shared_data() -> Path:
    """The public data sets beside the repository (as in CI)."""
    return Path(os.environ.get("STEWARD_SHARED_DATA", REPO.parent / "shared" / "data"))


def real_file(*parts: str) -> Path:
    """A real data file; missing: a failure under CI, else the test is skipped."""
    path = shared_data().joinpath(*parts)
    if not path.is_file():
        message = f"{path} is missing (set STEWARD_SHARED_DATA to the data sets' folder)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


XES_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" ?>\n'
    '<log xes.version="1.0" xmlns="http://www.xes-standard.org/">\n'
)


DATE_KEYS = frozenset(
    {
        "time:timestamp",
        "Actual Start",
        "Actual End",
        "Requested End Date",
        "Change record Open Time",
        "Change record Close Time",
    }
)


def xes_event(values: dict[str, str]) -> str:
    parts = []
    for key, value in values.items():
        tag = "date" if key in DATE_KEYS else "string"
        if value in ("true", "false"):
            tag = "boolean"
        parts.append(f'    <{tag} key="{key}" value="{value}"/>')
    return "  <event>\n" + "\n".join(parts) + "\n  </event>\n"


def xes_trace(name: str, events: list[str]) -> str:
    return (
        f'<trace>\n  <string key="concept:name" value="{name}"/>\n' + "".join(events) + "</trace>\n"
    )


def xes_log(traces: list[str]) -> str:
    return XES_HEAD + "".join(traces) + "</log>\n"
