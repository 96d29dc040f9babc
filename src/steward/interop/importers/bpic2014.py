"""BPI Challenge 2014: Rabobank change records, one per (change, affected CI), as XES.

The file is grouped by CI (a trace per CI), each (change, CI) row as a ``start`` and a
``complete`` event with the same attributes. A change's rows are spread over many traces, so
the file is streamed once to gather each change's rows (a few small values per row, about
30,000 rows), then every change is imported in the order it first appears.

A change becomes a ``changes.Change``: its type from ``Change Type`` (emergency when
``Emergency Change``), its risk class from ``Risk Assessment``, its planned window from the
rows' start/complete instants (the conversion's stand-in for Planned Start/End), its actual
window from ``Actual Start``/``Actual End``, its affected CIs from the rows (the first is the
primary CI) and its service from the first row's service component (WBS). Its history:
opened at ``Change record Open Time``, scheduled then, implementing from the actual start,
in review from the actual end, closed at ``Change record Close Time`` (cancelled when it was
never implemented).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from steward.changes.choices import ChangeState, ChangeType
from steward.changes.models import Change
from steward.cmdb.choices import CITypeKind
from steward.interop.importers import mappings as m
from steward.interop.importers.base import Case, CaseError, Importer
from steward.interop.importers.drafts import Draft
from steward.interop.importers.readers import ReadError, xes_traces
from steward.interop.models import ImportSource

CHANGE_KEYS = (
    "Change Type",
    "Risk Assessment",
    "Emergency Change",
    "CAB-approval needed",
    "Originated from",
    "Requested End Date",
    "Change record Open Time",
    "Change record Close Time",
    "Actual Start",
    "Actual End",
    "# Related Incidents",
    "# Related Interactions",
    "Scheduled Downtime Start",
    "Scheduled Downtime End",
)

#: The length given to a planned window the source records as an instant.
ZERO_WINDOW = timedelta(minutes=1)


def _family(change_type: str) -> str:
    return change_type.rstrip("0123456789 ").strip()


class Bpic2014Importer(Importer):
    name = "bpic2014-changes"
    time_zone = str(m.BPIC2014["time_zone"])

    def detect(self, path: Path) -> str:
        for trace in xes_traces(path):
            keys = set(trace.events[0].values) if trace.events else set()
            if {"Change ID", "CI Type (aff)"} <= keys:
                return ImportSource.BPIC2014_CHANGES
            break
        raise ReadError(
            "This is not the BPI Challenge 2014 change log (its events lack "
            "'Change ID' and 'CI Type (aff)').",
            line=1,
        )

    def cases(self, path: Path, source: str) -> Iterator[Case]:
        changes: dict[str, Case] = {}
        for trace in xes_traces(path):
            ci = str(trace.values.get("concept:name", "")).strip()
            pairs: dict[str, dict[str, Any]] = {}
            for event in trace.events:
                v = event.values
                instance = str(v.get("concept:instance", event.line))
                pair = pairs.setdefault(instance, {"line": event.line})
                pair[str(v.get("lifecycle:transition", "start"))] = v
            for pair in pairs.values():
                start = pair.get("start") or pair.get("complete")
                complete = pair.get("complete") or start
                if start is None or complete is None:
                    continue
                number = str(start.get("Change ID", "")).strip()
                if not number:
                    self.report.error(
                        line=pair["line"], case="", message="A row without Change ID."
                    )
                    continue
                row = {
                    "line": pair["line"],
                    "ci": ci or str(start.get("concept:name", "")),
                    "ci_type": str(start.get("CI Type (aff)", "")),
                    "ci_subtype": str(start.get("CI Subtype (aff)", "")),
                    "wbs": str(start.get("Service Component WBS (aff)", "")),
                    "planned_start": start.get("time:timestamp"),
                    "planned_end": complete.get("time:timestamp"),
                }
                case = changes.get(number)
                if case is None:
                    attributes = {k: start[k] for k in CHANGE_KEYS if k in start}
                    changes[number] = Case(number, pair["line"], [row], attributes)
                elif any(r["ci"] == row["ci"] for r in case.events):
                    self.report.warn(
                        line=row["line"],
                        case=number,
                        message=f"Duplicate row: CI {row['ci']} is listed twice; skipped.",
                    )
                else:
                    case.events.append(row)
        yield from changes.values()

    def prepare(self, source: str) -> None:
        assert self.refs is not None
        self.organisation = self.refs.organisation("rabobank", "Rabobank Group ICT (imported)")
        self.requester = self.refs.person(
            "Rabobank change requester", organisation=self.organisation
        )

    def prefetch(self, cases: list[Case]) -> None:
        assert self.refs is not None
        wanted: dict[str, Any] = {}
        services: dict[str, Any] = {}
        for case in cases:
            for row in case.events:
                kind = row["ci_type"] or "unknown"
                ci_type = self.refs.ci_type(
                    f"{m.BPIC2014_CI_TYPE_PREFIX}{kind}"[:50].lower().replace(" ", "-"),
                    f"{kind} (imported)",
                )
                wanted[row["ci"]] = (ci_type, row["ci_subtype"])
                if row["wbs"]:
                    service_type = self.refs.ci_type(
                        "bpic2014-service-component",
                        "Service component (imported)",
                        CITypeKind.TECHNICAL_SERVICE,
                    )
                    services[f"service:{row['wbs']}"] = (service_type, "Service component (WBS)")
        self.refs.cis(wanted)
        self.refs.cis(services)

    def build(self, case: Case, source: str) -> Draft:
        assert self.refs is not None
        a = case.attributes
        opened = a.get("Change record Open Time")
        closed = a.get("Change record Close Time")
        if not isinstance(opened, datetime):
            raise CaseError("The change has no 'Change record Open Time'.", line=case.line)
        rows = case.events
        starts = [r["planned_start"] for r in rows if isinstance(r["planned_start"], datetime)]
        ends = [r["planned_end"] for r in rows if isinstance(r["planned_end"], datetime)]
        raw_type = str(a.get("Change Type", ""))
        change_type = self.lookup(
            m.BPIC2014_CHANGE_TYPES, _family(raw_type), column="Change Type", line=case.line
        )
        if a.get("Emergency Change") is True:
            change_type = ChangeType.EMERGENCY
        risk = self.lookup(
            m.BPIC2014_RISK,
            str(a.get("Risk Assessment", "")),
            column="Risk Assessment",
            line=case.line,
        )
        cis = [self.refs.ci_pk(r["ci"]) for r in rows]
        wbs = rows[0]["wbs"]
        draft = Draft(Change(), self.flow(Change), case.external_id, case.line)
        draft.open(
            at=self.aware(opened),
            actor=self.requester,
            state=ChangeState.NEW,
            title=f"Change {case.external_id} ({raw_type or 'no type'})"[:200],
            description=_description(case, raw_type),
            requester_id=self.requester,
            organisation_id=self.organisation,
            configuration_item_id=cis[0],
            service_id=self.refs.ci_pk(f"service:{wbs}") if wbs else None,
            change_type=change_type,
            risk_class=risk or "",
        )
        obj: Any = draft.obj
        at = obj.opened_at
        window = {
            "planned_start": self.aware(min(starts)) if starts else None,
            "planned_end": self.aware(max(ends)) if ends else None,
        }
        if (
            window["planned_start"]
            and window["planned_end"]
            and (window["planned_end"] <= window["planned_start"])
        ):  # Steward's window has a length; the source's may be an instant
            window["planned_end"] = window["planned_start"] + ZERO_WINDOW
            self.report.count("zero_length_windows_widened")
        draft.move(at=at, actor=self.requester, state=ChangeState.SCHEDULED, values=window)
        actual_start, actual_end = a.get("Actual Start"), a.get("Actual End")
        if isinstance(actual_start, datetime):
            at = max(at, self.aware(actual_start))
            draft.move(at=at, actor=self.requester, state=ChangeState.IMPLEMENTING)
            obj.actual_start = self.aware(actual_start)  # changes.record_start
            if isinstance(actual_end, datetime):
                at = max(at, self.aware(actual_end))
                draft.move(at=at, actor=self.requester, state=ChangeState.REVIEW)
                obj.actual_end = self.aware(actual_end)  # changes.record_end
        if isinstance(closed, datetime):
            at = max(at, self.aware(closed))
            implemented = isinstance(actual_start, datetime)
            end = m.BPIC2014_END_STATES["implemented" if implemented else "not_implemented"]
            values = (
                {}
                if implemented
                else {"resolution": "Closed in the source without an actual start."}
            )
            draft.move(at=at, actor=self.requester, state=end, values=values)
        ci_ids = [pk for pk in dict.fromkeys(cis) if pk is not None]
        draft.after_save.append(lambda d: d.obj.affected_cis.set(ci_ids))
        draft.data = {
            **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in a.items()},
            "cis": [r["ci"] for r in rows],
        }
        return draft


def _description(case: Case, raw_type: str) -> str:
    a = case.attributes
    lines = [f"Imported from the BPI Challenge 2014 change log ({case.external_id}).", ""]
    for key in (
        "Change Type",
        "Risk Assessment",
        "Originated from",
        "CAB-approval needed",
        "Emergency Change",
        "# Related Incidents",
    ):
        if key in a:
            lines.append(f"- {key}: {a[key]}")
    lines.append(f"- Affected CIs: {', '.join(r['ci'] for r in case.events)[:2000]}")
    return "\n".join(lines)
