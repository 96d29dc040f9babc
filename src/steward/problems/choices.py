"""Choices of problem management: the states and the root-cause analysis methods."""

from django.db import models


class ProblemState(models.TextChoices):
    """Every state a problem may be in, across the process profiles (``workflows.py``)."""

    NEW = "new", "New"
    ASSESSED = "assessed", "Assessed"
    ROOT_CAUSE_ANALYSIS = "root_cause_analysis", "Root cause analysis"
    KNOWN_ERROR = "known_error", "Known error"
    FIX_IN_PROGRESS = "fix_in_progress", "Fix in progress"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


class RcaMethod(models.TextChoices):
    """How the root cause is analysed; each method has its own structured fields."""

    FIVE_WHYS = "five_whys", "5 whys"
    ISHIKAWA = "ishikawa", "Ishikawa (cause and effect)"
    KEPNER_TREGOE = "kepner_tregoe", "Kepner-Tregoe problem analysis"
    FAULT_TREE = "fault_tree", "Fault tree"


class IshikawaCategory(models.TextChoices):
    """The bones of the fishbone: where a contributing cause comes from."""

    PEOPLE = "people", "People"
    PROCESS = "process", "Process"
    TECHNOLOGY = "technology", "Technology"
    SUPPLIERS = "suppliers", "Suppliers and partners"
    ENVIRONMENT = "environment", "Environment"
    MEASUREMENT = "measurement", "Measurement"


#: The dimensions of a Kepner-Tregoe problem specification, each answered "is" / "is not".
KT_DIMENSIONS: dict[str, str] = {
    "what": "What",
    "where": "Where",
    "when": "When",
    "extent": "Extent",
}


class FaultTreeGate(models.TextChoices):
    """How a fault-tree event follows from the events under it."""

    AND = "and", "AND (all of the events below)"
    OR = "or", "OR (any of the events below)"
    BASIC = "basic", "Basic event (no events below)"


class ProposalState(models.TextChoices):
    """Where a problem proposal (a cluster of recurring incidents) stands."""

    PROPOSED = "proposed", "Proposed"
    ACCEPTED = "accepted", "Accepted"
    DISMISSED = "dismissed", "Dismissed"
