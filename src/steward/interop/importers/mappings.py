"""How each source's values become Steward's: declared here as data, nothing else decides.

Every table maps the source's raw value (as written in the file, stripped) to a Steward
value. A value missing from a table is *unmapped*: the importer counts it with the first
line it was met on, keeps the raw value on the imported record (``ImportedRecord.data``)
and uses the table's ``None`` entry (its declared fallback) when it has one. Placeholder
values (``PLACEHOLDERS``) mean "no value" and are reported the same way where a value is
required.
"""

from __future__ import annotations

from steward.changes.choices import ChangeState, ChangeType, RiskClass
from steward.incidents.choices import (
    IncidentContactType,
    IncidentHoldReason,
    IncidentResolutionCode,
    IncidentState,
)
from steward.problems.choices import ProblemState
from steward.tickets.choices import Impact, Priority, Urgency

Table = dict[str | None, object]

# --- ServiceNow incident event log ---------------------------------------------------------

SERVICENOW = {
    #: The source's timestamps carry no zone; the log does not say which one it used.
    "time_zone": "UTC",
    "time_format": "%d/%m/%Y %H:%M",
    #: "No value" markers of the source.
    "placeholders": frozenset({"?", "-100", ""}),
}

SERVICENOW_STATES: Table = {
    "New": IncidentState.NEW,
    "Active": IncidentState.IN_PROGRESS,
    "Awaiting User Info": IncidentState.ON_HOLD,
    "Awaiting Evidence": IncidentState.ON_HOLD,
    "Awaiting Vendor": IncidentState.ON_HOLD,
    "Awaiting Problem": IncidentState.ON_HOLD,
    "Resolved": IncidentState.RESOLVED,
    "Closed": IncidentState.CLOSED,
}

#: Why an incident in a waiting state waits.
SERVICENOW_HOLD_REASONS: Table = {
    "Awaiting User Info": IncidentHoldReason.AWAITING_CALLER,
    "Awaiting Evidence": IncidentHoldReason.AWAITING_CALLER,
    "Awaiting Vendor": IncidentHoldReason.AWAITING_VENDOR,
    # A problem's fix reaches the incident through a change.
    "Awaiting Problem": IncidentHoldReason.AWAITING_CHANGE,
}

SERVICENOW_IMPACT: Table = {
    "1 - High": Impact.HIGH,
    "2 - Medium": Impact.MEDIUM,
    "3 - Low": Impact.LOW,
    None: Impact.MEDIUM,
}

SERVICENOW_URGENCY: Table = {
    "1 - High": Urgency.HIGH,
    "2 - Medium": Urgency.MEDIUM,
    "3 - Low": Urgency.LOW,
    None: Urgency.MEDIUM,
}

#: The source computed its priority itself; it is kept as it was, not recomputed.
SERVICENOW_PRIORITY: Table = {
    "1 - Critical": Priority.CRITICAL,
    "2 - High": Priority.HIGH,
    "3 - Moderate": Priority.MODERATE,
    "4 - Low": Priority.LOW,
    None: Priority.MODERATE,
}

SERVICENOW_CONTACT_TYPES: Table = {
    "Phone": IncidentContactType.PHONE,
    "Email": IncidentContactType.EMAIL,
    "Self service": IncidentContactType.PORTAL,
    "Direct opening": IncidentContactType.WALK_IN,
    # Interactive voice response: a phone call answered by a machine.
    "IVR": IncidentContactType.PHONE,
    None: IncidentContactType.PHONE,
}

#: The published log anonymised its close codes ("code 1" .. "code 17") and says nothing of
#: their meaning, so none maps to a Steward resolution code with certainty: every one is
#: kept raw and the declared fallback is used.
SERVICENOW_CLOSE_CODES: Table = {
    None: IncidentResolutionCode.SOLVED_PERMANENTLY,
}

# --- BPI Challenge 2013 (Volvo IT, VINST) ----------------------------------------------------

BPIC2013 = {
    #: XES and CSV timestamps carry their offset; this zone is used only for values without.
    "time_zone": "Europe/Brussels",
    "placeholders": frozenset({"", "-", "UNKNOWN"}),
}

#: (status, sub status) -> incident state.
BPIC2013_INCIDENT_STATES: dict[tuple[str, str], str] = {
    ("Queued", "Awaiting Assignment"): IncidentState.NEW,
    ("Accepted", "Assigned"): IncidentState.ASSIGNED,
    ("Accepted", "In Progress"): IncidentState.IN_PROGRESS,
    ("Accepted", "Wait"): IncidentState.ON_HOLD,
    ("Accepted", "Wait - User"): IncidentState.ON_HOLD,
    ("Accepted", "Wait - Customer"): IncidentState.ON_HOLD,
    ("Accepted", "Wait - Vendor"): IncidentState.ON_HOLD,
    ("Accepted", "Wait - Implementation"): IncidentState.ON_HOLD,
    ("Completed", "Resolved"): IncidentState.RESOLVED,
    ("Completed", "In Call"): IncidentState.RESOLVED,
    ("Completed", "Closed"): IncidentState.CLOSED,
    ("Completed", "Cancelled"): IncidentState.CANCELLED,
}

BPIC2013_HOLD_REASONS: dict[str, str] = {
    "Wait": IncidentHoldReason.AWAITING_CALLER,
    "Wait - User": IncidentHoldReason.AWAITING_CALLER,
    "Wait - Customer": IncidentHoldReason.AWAITING_CALLER,
    "Wait - Vendor": IncidentHoldReason.AWAITING_VENDOR,
    "Wait - Implementation": IncidentHoldReason.AWAITING_CHANGE,
}

#: "Completed / In Call": resolved while the caller was on the line.
BPIC2013_RESOLUTION_CODES: dict[str, str] = {
    "Resolved": IncidentResolutionCode.SOLVED_PERMANENTLY,
    "In Call": IncidentResolutionCode.SOLVED_PERMANENTLY,
    "Closed": IncidentResolutionCode.SOLVED_PERMANENTLY,
}

#: (status, sub status) -> problem state.
BPIC2013_PROBLEM_STATES: dict[tuple[str, str], str] = {
    ("Queued", "Awaiting Assignment"): ProblemState.NEW,
    ("Accepted", "Assigned"): ProblemState.ASSESSED,
    ("Accepted", "In Progress"): ProblemState.ROOT_CAUSE_ANALYSIS,
    ("Accepted", "Wait"): ProblemState.ROOT_CAUSE_ANALYSIS,
    ("Completed", "Resolved"): ProblemState.RESOLVED,
    ("Completed", "Closed"): ProblemState.CLOSED,
    ("Completed", "Cancelled"): ProblemState.CLOSED,
}

#: Impact -> (impact, urgency). VINST records one impact; urgency follows it.
BPIC2013_IMPACT: dict[str, tuple[int, int]] = {
    "Major": (Impact.HIGH, Urgency.HIGH),
    "High": (Impact.HIGH, Urgency.MEDIUM),
    "Medium": (Impact.MEDIUM, Urgency.MEDIUM),
    "Low": (Impact.LOW, Urgency.LOW),
}

#: The support-line suffix of a VINST team name ("V5 3rd"); no suffix is the 1st line.
BPIC2013_SUPPORT_LINES: dict[str, int] = {"2nd": 2, "3rd": 3}

# --- BPI Challenge 2014 (Rabobank, change records per CI) ------------------------------------

BPIC2014 = {
    #: XES timestamps carry their offset; this zone is used only for values without.
    "time_zone": "Europe/Amsterdam",
}

#: "Change Type" without its number ("Standard Change Type 25" -> "Standard Change Type").
#: An emergency change (``Emergency Change`` true) is an emergency change whatever its type.
BPIC2014_CHANGE_TYPES: Table = {
    "Standard Change Type": ChangeType.STANDARD,
    "Standard Activity Type": ChangeType.STANDARD,
    "Release Type": ChangeType.NORMAL,
    "Master Change": ChangeType.NORMAL,
    "Master Change Roadmap": ChangeType.NORMAL,
    "Change Component": ChangeType.NORMAL,
    None: ChangeType.NORMAL,
}

BPIC2014_RISK: Table = {
    "Minor Change": RiskClass.LOW,
    "Business Change": RiskClass.MODERATE,
    "Major Business Change": RiskClass.HIGH,
}

#: Where a change record ends: implemented (it has an ``Actual Start``) or not. The source
#: records no outcome, so none is set.
BPIC2014_END_STATES: dict[str, str] = {
    "implemented": ChangeState.CLOSED,
    "not_implemented": ChangeState.CANCELLED,
}

#: ``CI Type (aff)`` -> the CMDB class code the CI gets ("bpic2014-<type>" is made on use).
BPIC2014_CI_TYPE_PREFIX = "bpic2014-"
