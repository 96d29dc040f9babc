"""BPI Challenge 2013: Volvo IT Belgium's VINST incidents and problems.

One file at a time, recognised by its content: the incidents XES (a trace per service
request), the open-problems XES (a trace per problem; ``org:group`` holds the org line), or
a problems CSV (closed or open problems, semicolon separated, latin-1; columns read by
name). Each event is a status change (status and sub status) with the team, the person
(first name only), the impact, the product and the country at that moment.

Service requests become ``incidents.Incident``, problems ``problems.Problem``. VINST names
no requester: each case's requester is the desk's stand-in for its country ("VINST user
(fr)"), in an organisation per country under "Volvo IT (imported)". Products become CIs;
teams keep their name and get their support line from its suffix (``V5 3rd``).
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
from steward.interop.importers.readers import (
    ReadError,
    compression_of,
    csv_rows,
    open_binary,
    sniff_header,
    xes_traces,
)
from steward.interop.importers.refs import split_support_line
from steward.interop.models import ImportSource
from steward.problems.choices import ProblemState
from steward.problems.models import Problem
from steward.tickets.services import priority_matrix

CSV_COLUMNS = frozenset(
    {
        "Problem Number",
        "Problem Change Date+Time",
        "Problem Sub Status",
        "Problem Status",
        "Problem Latest Impact",
        "Problem Involved ST Org line 3",
        "Problem Involved Owner ST",
        "Product",
        "Country",
        "Problem Involved Action Owner First Name",
    }
)
PLACEHOLDERS = m.BPIC2013["placeholders"]


def _given(value: Any) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text in PLACEHOLDERS else text


def _is_xml(path: Path) -> bool:
    try:
        with open_binary(path) as raw:
            head = raw.read(64).lstrip()
    except (EOFError, OSError) as exc:
        raise ReadError(f"The file cannot be read: {exc}.", line=1) from None
    return head.startswith(b"<")


class Bpic2013Importer(Importer):
    name = "bpic2013"
    time_zone = str(m.BPIC2013["time_zone"])

    # --- what the file is ---------------------------------------------------------------------

    def detect(self, path: Path) -> str:
        if _is_xml(path):
            for trace in xes_traces(path):
                keys = set().union(*(e.values for e in trace.events[:1])) if trace.events else set()
                if "organization involved" in keys:
                    self._format = "xes-incidents"
                    return ImportSource.BPIC2013_INCIDENTS
                if "oranization country" in keys:
                    self._format = "xes-problems"
                    return ImportSource.BPIC2013_PROBLEMS
                break
            raise ReadError(
                "This XES file is not a BPI Challenge 2013 incidents or open problems log "
                "(its events lack the VINST attributes).",
                line=1,
            )
        if compression_of(path) == "none" or path.suffix == ".csv":
            header = set(sniff_header(path, encoding="latin-1", delimiter=";"))
            if header >= CSV_COLUMNS:
                self._format = "csv-problems"
                return ImportSource.BPIC2013_PROBLEMS
        raise ReadError(
            "This is not a BPI Challenge 2013 file (an incidents or open problems XES, "
            "or a problems CSV with the VINST columns).",
            line=1,
        )

    # --- reading cases ------------------------------------------------------------------------

    def cases(self, path: Path, source: str) -> Iterator[Case]:
        if self._format == "csv-problems":
            yield from self._csv_cases(path)
            return
        for trace in xes_traces(path):
            number = str(trace.values.get("concept:name", "")).strip()
            if not number:
                self.report.error(line=trace.line, case="", message="A trace without a number.")
                continue
            events = [self._xes_event(event.line, event.values) for event in trace.events]
            if not events:
                self.report.error(line=trace.line, case=number, message="A case with no events.")
                continue
            yield Case(number, trace.line, events)

    def _xes_event(self, line: int, v: dict[str, Any]) -> dict[str, Any]:
        problems = self._format == "xes-problems"
        return {
            "line": line,
            "status": _given(v.get("concept:name")),
            "sub": _given(v.get("lifecycle:transition")),
            "at": v.get("time:timestamp"),
            "team": "" if problems else _given(v.get("org:group")),
            "org_line": _given(v.get("org:group" if problems else "organization involved")),
            "person": _given(v.get("org:resource")),
            "impact": _given(v.get("impact")),
            "product": _given(v.get("product")),
            "country": _given(v.get("oranization country" if problems else "organization country")),
        }

    def _csv_cases(self, path: Path) -> Iterator[Case]:
        finished: set[str] = set()
        current: Case | None = None
        for row in csv_rows(path, encoding="latin-1", delimiter=";", required=CSV_COLUMNS):
            v = row.values
            raw_time = v["Problem Change Date+Time"]
            try:
                at: Any = datetime.fromisoformat(raw_time)
            except ValueError:
                at = None
                self.report.error(
                    line=row.line, case=v["Problem Number"], message=f"Bad time {raw_time!r}."
                )
            event = {
                "line": row.line,
                "status": _given(v["Problem Status"]),
                "sub": _given(v["Problem Sub Status"]),
                "at": at,
                "team": _given(v["Problem Involved Owner ST"]),
                "org_line": _given(v["Problem Involved ST Org line 3"]),
                "person": _given(v["Problem Involved Action Owner First Name"]),
                "impact": _given(v["Problem Latest Impact"]),
                "product": _given(v["Product"]),
                "country": _given(v["Country"]),
            }
            number = v["Problem Number"]
            if current is not None and current.external_id == number:
                current.events.append(event)
                continue
            if current is not None:
                finished.add(current.external_id)
                yield current
            if number in finished:
                self.report.error(
                    line=row.line,
                    case=number,
                    message="Rows of this problem appear again after other problems: left out.",
                )
                current = None
                continue
            current = Case(number, row.line, [event])
        if current is not None:
            yield current

    # --- reference records --------------------------------------------------------------------

    def prepare(self, source: str) -> None:
        assert self.refs is not None
        self.root = self.refs.organisation("volvo-it", "Volvo IT (imported)")
        self.matrix = priority_matrix()

    def prefetch(self, cases: list[Case]) -> None:
        assert self.refs is not None
        wanted: dict[str, tuple[int | None, bool]] = {}
        for case in cases:
            for event in case.events:
                if event["person"]:
                    wanted[event["person"]] = (None, True)
        self.refs.people(wanted)

    def _country(self, code: str) -> tuple[int, int]:
        """The organisation of a country's customers and its stand-in requester."""
        assert self.refs is not None
        code = code or "unknown"
        organisation = self.refs.organisation(
            f"country-{code}", f"Volvo IT customers ({code})", parent=self.root
        )
        requester = self.refs.person(f"VINST user ({code})", organisation=organisation)
        return organisation, requester

    def _hands(self, event: dict[str, Any]) -> tuple[int | None, int | None]:
        assert self.refs is not None
        team = None
        if event["team"]:
            _name, suffix = split_support_line(event["team"])
            team = self.refs.team(
                event["team"], support_line=m.BPIC2013_SUPPORT_LINES.get(suffix, 1)
            )
        person = self.refs.person(event["person"], staff=True) if event["person"] else None
        if team is not None and person is not None:
            self.refs.membership(team, person)
        return team, (person if team is not None else None)

    def _levels(self, event: dict[str, Any]) -> dict[str, int]:
        pair = self.lookup(m.BPIC2013_IMPACT, event["impact"], column="impact", line=event["line"])
        impact, urgency = pair or (3, 3)
        return {"impact": impact, "urgency": urgency, "priority": self.matrix[(impact, urgency)]}

    # --- one case -----------------------------------------------------------------------------

    def build(self, case: Case, source: str) -> Draft:
        assert self.refs is not None
        events = [e for e in case.events if e["at"] is not None]
        if not events:
            raise CaseError("No event of this case has a time.", line=case.line)
        for event in events:
            event["at"] = self.aware(event["at"])
        events.sort(key=lambda e: e["at"])  # stable: same-instant events keep file order
        first, last = events[0], events[-1]
        problem = source == ImportSource.BPIC2013_PROBLEMS
        model: Any = Problem if problem else Incident
        organisation, requester = self._country(first["country"])
        product = first["product"]
        ci = (
            self.refs.ci(product, type_code="imported-product", type_name="Product (imported)")
            if product
            else None
        )
        team, assignee = self._hands(first)
        kind = "problem" if problem else "service request"
        draft = Draft(model(), self.flow(model), case.external_id, case.line)
        values: dict[str, Any] = {
            "title": f"{product or 'VINST'} {kind} {case.external_id}",
            "description": _description(case.external_id, first, last, problem=problem),
            "requester_id": requester,
            "organisation_id": None if problem else organisation,
            "team_id": team,
            "assignee_id": assignee,
            "configuration_item_id": ci,
            **self._levels(first),
        }
        if not problem:
            values["contact_type"] = "phone"
        new = ProblemState.NEW if problem else IncidentState.NEW
        draft.open(at=first["at"], actor=assignee, state=new, **values)
        previous: dict[str, Any] | None = None
        for event in events:
            same = {k: v for k, v in event.items() if k != "line"}
            if same == previous:
                self.report.warn(
                    line=event["line"],
                    case=case.external_id,
                    message="Duplicate event (the same values as the one before): skipped.",
                )
                continue
            previous = same
            self._replay(draft, event, problem=problem)
        draft.data = {
            "status": last["status"],
            "sub_status": last["sub"],
            "impact": last["impact"],
            "product": last["product"],
            "country": last["country"],
            "org_line": last["org_line"],
            "team": last["team"],
            "events": len(events),
        }
        return draft

    def _replay(self, draft: Draft, event: dict[str, Any], *, problem: bool) -> None:
        obj: Any = draft.obj
        at = max(event["at"], obj.opened_at)
        team, assignee = self._hands(event)
        actor = assignee
        if team is not None:
            draft.reassign(at=at, actor=actor, team=team, assignee=assignee)
        if event["impact"]:
            draft.update(at=at, actor=actor, **self._levels(event))
        table: dict[tuple[str, str], str] = (
            m.BPIC2013_PROBLEM_STATES if problem else m.BPIC2013_INCIDENT_STATES
        )
        pair = (event["status"], event["sub"])
        state = self.lookup(table, pair, column="status / sub status", line=event["line"])
        if state is None or state == obj.state:
            return
        fields: dict[str, Any] = {}
        if not problem and state == IncidentState.ON_HOLD:
            fields["hold_reason"] = m.BPIC2013_HOLD_REASONS.get(event["sub"], "awaiting_caller")
        closing = state in (IncidentState.RESOLVED, IncidentState.CLOSED, IncidentState.CANCELLED)
        if closing and not obj.resolution:
            fields["resolution"] = f"{event['status']} / {event['sub']} in VINST."
            if not problem and state != IncidentState.CANCELLED:
                fields["resolution_code"] = m.BPIC2013_RESOLUTION_CODES.get(
                    event["sub"], "solved_permanently"
                )
        draft.move(at=at, actor=actor, state=state, values=fields)


def _description(number: str, first: dict[str, Any], last: dict[str, Any], *, problem: bool) -> str:
    kind = "problem" if problem else "service request"
    lines = [f"Imported from the BPI Challenge 2013 VINST log ({kind} {number}).", ""]
    for label, key in (
        ("Product", "product"),
        ("Country", "country"),
        ("Org line", "org_line"),
        ("Impact at the end", "impact"),
        ("Last status", "status"),
        ("Last sub status", "sub"),
    ):
        source = last if key in ("impact", "status", "sub") else first
        if source.get(key):
            lines.append(f"- {label}: {source[key]}")
    return "\n".join(lines)
