"""Choices of change management: types, states, risk classes, outcomes, approvals."""

from django.db import models


class ChangeType(models.TextChoices):
    """How a change is authorised: a pre-approved template, the CAB, or the emergency CAB."""

    STANDARD = "standard", "Standard"
    NORMAL = "normal", "Normal"
    EMERGENCY = "emergency", "Emergency"


class ChangeState(models.TextChoices):
    """Every state a change may be in, across the process profiles (``workflows.py``)."""

    NEW = "new", "New"
    ASSESSMENT = "assessment", "Assessment"
    APPROVAL = "approval", "Approval"
    SCHEDULED = "scheduled", "Scheduled"
    IMPLEMENTING = "implementing", "Implementing"
    REVIEW = "review", "Review"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class RiskClass(models.TextChoices):
    """The risk class a change's score falls in; it selects the approval path."""

    LOW = "low", "Low"
    MODERATE = "moderate", "Moderate"
    HIGH = "high", "High"


class Outcome(models.TextChoices):
    """How an implemented change went (its post-implementation review)."""

    SUCCESSFUL = "successful", "Successful"
    WITH_ISSUES = "successful_with_issues", "Successful with issues"
    FAILED = "failed", "Failed"
    BACKED_OUT = "backed_out", "Backed out"


#: Outcomes that count as a failed change (the success rate and the history risk factor).
FAILED_OUTCOMES: tuple[str, ...] = (Outcome.FAILED, Outcome.BACKED_OUT)


class ChangeTaskState(models.TextChoices):
    """The states of one task of a change."""

    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    SKIPPED = "skipped", "Skipped"


#: A task in one of these is finished (a change closes only when all its tasks are).
FINISHED_TASK_STATES: tuple[str, ...] = (ChangeTaskState.DONE, ChangeTaskState.SKIPPED)


class BoardKind(models.TextChoices):
    """What a board is; the service owners' board has no fixed members."""

    CAB = "cab", "Change advisory board (CAB)"
    ECAB = "ecab", "Emergency CAB (ECAB)"
    CHANGE_MANAGER = "change_manager", "Change manager"
    SERVICE_OWNERS = "service_owners", "Owners of the affected services"


class ApprovalRule(models.TextChoices):
    """When a board's approvers have decided."""

    ANY = "any", "Any one approver"
    ALL = "all", "All approvers"
    MAJORITY = "majority", "A majority of approvers"
    QUORUM = "quorum", "A quorum of N approvers"


class ApprovalPath(models.TextChoices):
    """Which changes a board is asked about: a risk class of a normal change, or emergencies."""

    LOW = "low", "Normal changes of low risk"
    MODERATE = "moderate", "Normal changes of moderate risk"
    HIGH = "high", "Normal changes of high risk"
    EMERGENCY = "emergency", "Emergency changes"


class ApprovalState(models.TextChoices):
    """Where one board's approval of one plan revision stands."""

    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Decision(models.TextChoices):
    """A vote."""

    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"


class VoteChannel(models.TextChoices):
    """Where a vote came in."""

    WEB = "web", "Web"
    API = "api", "API"
    EMAIL = "email", "E-mail"
