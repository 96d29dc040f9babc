"""The ServiceNow incident event log (UCI "Incident management process enriched event log").

One CSV row is one update of an incident and carries the whole record after it; the rows of
an incident are contiguous. Each incident becomes an ``incidents.Incident`` with the source's
number (``INC0000045`` fits Steward's numbering), opened at ``opened_at`` by ``opened_by``;
each row after that replays, at its ``sys_updated_at`` and by its ``sys_updated_by``, what
changed since the row before: the hands (``assignment_group``/``assigned_to``: a
reassignment), impact/urgency/priority, the category, then the state.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from steward.incidents.choices import IncidentState
from steward.incidents.models import Incident
from steward.interop.importers import mappings as m
from steward.interop.importers.base import Case, CaseError, Importer
from steward.interop.importers.drafts import Draft
from steward.interop.importers.readers import CsvRow, ReadError, csv_rows, sniff_header
from steward.interop.models import ImportSource

COLUMNS = frozenset(
    {
        "number",
        "incident_state",
        "reassignment_count",
        "reopen_count",
        "sys_mod_count",
        "caller_id",
        "opened_by",
        "opened_at",
        "sys_updated_by",
        "sys_updated_at",
        "contact_type",
        "location",
        "category",
        "subcategory",
        "u_symptom",
        "cmdb_ci",
        "impact",
        "urgency",
        "priority",
        "assignment_group",
        "assigned_to",
        "closed_code",
        "resolved_by",
        "resolved_at",
        "closed_at",
    }
)
#: Columns shown in the description and kept raw on the imported record.
KEPT = (
    "location",
    "u_symptom",
    "knowledge",
    "u_priority_confirmation",
    "notify",
    "made_sla",
    "problem_id",
    "rfc",
    "vendor",
    "caused_by",
    "closed_code",
    "resolved_by",
    "resolved_at",
    "closed_at",
    "reassignment_count",
    "reopen_count",
    "sys_mod_count",
    "contact_type",
)
PLACEHOLDERS = m.SERVICENOW["placeholders"]


def _given(value: str) -> str:
    return "" if value in PLACEHOLDERS else value


class ServiceNowImporter(Importer):
    name = "servicenow-incidents"
    time_zone = str(m.SERVICENOW["time_zone"])

    def detect(self, path: Path) -> str:
        header = set(sniff_header(path, encoding="utf-8", delimiter=","))
        missing = sorted(COLUMNS - header)
        if missing:
            raise ReadError(
                "This is not a ServiceNow incident event log: columns missing: "
                + ", ".join(missing[:8]),
                line=1,
            )
        return ImportSource.SERVICENOW_INCIDENTS

    def cases(self, path: Path, source: str) -> Iterator[Case]:
        """Rows grouped by incident; rows of an incident already passed are reported."""
        finished: set[str] = set()
        current: Case | None = None
        for row in csv_rows(path, encoding="utf-8", delimiter=",", required=COLUMNS):
            number = row.values["number"]
            if current is not None and number == current.external_id:
                current.events.append(row)
                continue
            if current is not None:
                finished.add(current.external_id)
                yield current
            if number in finished:
                self.report.error(
                    line=row.line,
                    case=number,
                    message="Rows of this incident appear again after other incidents: "
                    "left out (the incident was imported from its first rows).",
                )
                current = None
                continue
            current = Case(number, row.line, [row])
        if current is not None:
            yield current

    def prepare(self, source: str) -> None:
        assert self.refs is not None
        self.organisation = self.refs.organisation(
            "servicenow", "ServiceNow incident event log (imported)"
        )

    def prefetch(self, cases: list[Case]) -> None:
        assert self.refs is not None
        wanted: dict[str, tuple[int | None, bool]] = {}
        for case in cases:
            for row in case.events:
                v = row.values
                for column in ("opened_by", "sys_updated_by", "assigned_to"):
                    if _given(v[column]):
                        wanted[" ".join(v[column].split())] = (None, True)
                caller = " ".join(v["caller_id"].split())
                if _given(caller) and caller not in wanted:
                    wanted[caller] = (self.organisation, False)
        self.refs.people(wanted)
        self.refs.categories(
            {
                (_given(row.values["category"]), _given(row.values["subcategory"]))
                for case in cases
                for row in case.events
                if _given(row.values["category"])
            }
        )

    # --- one incident -----------------------------------------------------------------------

    def _time(self, value: str, *, column: str, line: int) -> datetime:
        try:
            parsed = datetime.strptime(value, str(m.SERVICENOW["time_format"]))  # noqa: DTZ007
        except ValueError:
            raise CaseError(
                f"{column}: {value!r} is not a D/M/YYYY HH:MM time.", line=line
            ) from None
        return self.aware(parsed)

    def _person(self, value: str, *, staff: bool) -> int | None:
        assert self.refs is not None
        if not _given(value):
            return None
        name = " ".join(value.split())
        return self.refs.person(
            name, organisation=None if staff else self.organisation, staff=staff
        )

    def _hands(self, row: CsvRow) -> tuple[int | None, int | None]:
        assert self.refs is not None
        group, person = _given(row.values["assignment_group"]), _given(row.values["assigned_to"])
        team = self.refs.team(group) if group else None
        assignee = self._person(person, staff=True) if person else None
        if team is not None and assignee is not None:
            self.refs.membership(team, assignee)
        if team is None and assignee is not None:
            assignee = None  # Steward assigns a person within a team only
            self.report.count("assignees_without_group")
        return team, assignee

    def _levels(self, row: CsvRow) -> dict[str, Any]:
        v, line = row.values, row.line
        return {
            "impact": self.lookup(m.SERVICENOW_IMPACT, v["impact"], column="impact", line=line),
            "urgency": self.lookup(m.SERVICENOW_URGENCY, v["urgency"], column="urgency", line=line),
            "priority": self.lookup(
                m.SERVICENOW_PRIORITY, v["priority"], column="priority", line=line
            ),
        }

    def _categories(self, row: CsvRow) -> dict[str, int | None]:
        assert self.refs is not None
        category = _given(row.values["category"])
        subcategory = _given(row.values["subcategory"])
        root = self.refs.category(category) if category else None
        child = self.refs.category(subcategory, parent=root) if root and subcategory else None
        return {"category": root, "subcategory": child}

    def _state(self, row: CsvRow, previous: str | None) -> str | None:
        raw = row.values["incident_state"]
        if raw in PLACEHOLDERS:
            self.report.warn(
                line=row.line,
                case=row.values["number"],
                message=f"incident_state is the placeholder {raw!r}: the state is left as it was.",
            )
            self.report.unmapped_value("incident_state", raw, row.line)
            return previous
        state = self.lookup(m.SERVICENOW_STATES, raw, column="incident_state", line=row.line)
        return str(state) if state else previous

    def build(self, case: Case, source: str) -> Draft:
        assert self.refs is not None
        rows: list[CsvRow] = case.events
        first, last = rows[0], rows[-1]
        v = first.values
        opened_at = self._time(v["opened_at"], column="opened_at", line=first.line)
        requester = self._person(v["caller_id"], staff=False)
        if requester is None:
            self.report.unmapped_value("caller_id", v["caller_id"], first.line)
            requester = self.refs.person("Unknown caller", organisation=self.organisation)
        team, assignee = self._hands(first)
        ci_name = _given(v["cmdb_ci"])
        ci = (
            self.refs.ci(ci_name, type_code="imported-ci", type_name="Imported configuration item")
            if ci_name
            else None
        )
        contact = self.lookup(
            m.SERVICENOW_CONTACT_TYPES, v["contact_type"], column="contact_type", line=first.line
        )
        draft = Draft(
            Incident(),
            self.flow(Incident),
            case.external_id,
            case.line,
            wanted_number=case.external_id,
        )
        draft.open(
            at=opened_at,
            actor=self._person(v["opened_by"], staff=True),
            state=IncidentState.NEW,
            title=_title(v),
            description=_description(last.values),
            requester_id=requester,
            organisation_id=self.organisation,
            team_id=team,
            assignee_id=assignee,
            configuration_item_id=ci,
            contact_type=contact,
            **self._levels(first),
            **{f"{k}_id": val for k, val in self._categories(first).items()},
        )
        previous_values: dict[str, str] | None = None
        for row in rows:
            if row.values == previous_values:
                self.report.warn(
                    line=row.line,
                    case=case.external_id,
                    message="Duplicate event (the same values as the row before): skipped.",
                )
                continue
            previous_values = row.values
            self._replay(draft, row)
        draft.data = {name: last.values.get(name, "") for name in KEPT}
        draft.data["resolved_at_source"] = last.values.get("resolved_at", "")
        _compare_counts(self, draft, last)
        return draft

    def _replay(self, draft: Draft, row: CsvRow) -> None:
        obj: Any = draft.obj
        at = self._time(row.values["sys_updated_at"], column="sys_updated_at", line=row.line)
        at = max(at, obj.opened_at)
        actor = self._person(row.values["sys_updated_by"], staff=True)
        team, assignee = self._hands(row)
        draft.reassign(at=at, actor=actor, team=team, assignee=assignee)
        draft.update(at=at, actor=actor, **self._levels(row))
        cats = self._categories(row)
        if (cats["category"], cats["subcategory"]) != (obj.category_id, obj.subcategory_id):
            draft.update(at=at, actor=actor, **cats)
        state = self._state(row, obj.state)
        if state is None or state == obj.state:
            return
        values: dict[str, Any] = {}
        raw = row.values["incident_state"]
        if state == IncidentState.ON_HOLD:
            values["hold_reason"] = m.SERVICENOW_HOLD_REASONS.get(raw, "")
        if state == IncidentState.RESOLVED or (
            state == IncidentState.CLOSED and obj.state != IncidentState.RESOLVED
        ):
            code = row.values["closed_code"]
            values["resolution_code"] = self.lookup(
                m.SERVICENOW_CLOSE_CODES, code, column="closed_code", line=row.line
            )
            values["resolution"] = _resolution(row.values)
        draft.move(at=at, actor=actor, state=state, values=values)


def _title(v: dict[str, str]) -> str:
    parts = [p for p in (_given(v["category"]), _given(v["subcategory"])) if p]
    symptom = _given(v["u_symptom"]) or "Incident"
    return f"{symptom} ({', '.join(parts)})" if parts else symptom


def _description(v: dict[str, str]) -> str:
    lines = ["Imported from the ServiceNow incident event log.", ""]
    for name in KEPT[:12]:
        value = v.get(name, "")
        if _given(value):
            lines.append(f"- {name.replace('_', ' ')}: {value}")
    return "\n".join(lines)


def _resolution(v: dict[str, str]) -> str:
    code = _given(v["closed_code"]) or "none"
    by = _given(v["resolved_by"])
    return f"ServiceNow close code: {code}" + (f"; resolved by {by}." if by else ".")


def _compare_counts(importer: Importer, draft: Draft, last: CsvRow) -> None:
    """The counts the source kept against those the replay produced (reported if they differ)."""
    obj: Any = draft.obj
    for name in ("reopen_count", "reassignment_count"):
        raw = last.values.get(name, "")
        if raw.isdigit() and int(raw) != getattr(obj, name):
            importer.report.count(f"{name}_differs_from_source")
