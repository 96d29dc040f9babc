"""Choices of incident management."""

from django.db import models


class IncidentState(models.TextChoices):
    """The states an incident may be in (each profile uses some of them)."""

    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class IncidentContactType(models.TextChoices):
    """How the incident reached the service desk."""

    PORTAL = "portal", "Self-service portal"
    EMAIL = "email", "E-mail"
    PHONE = "phone", "Phone"
    WALK_IN = "walk_in", "Walk-in"
    MONITORING = "monitoring", "Monitoring"
    CHAT = "chat", "Chat"


class IncidentHoldReason(models.TextChoices):
    """Why an incident waits (required to put it on hold)."""

    AWAITING_CALLER = "awaiting_caller", "Awaiting caller"
    AWAITING_VENDOR = "awaiting_vendor", "Awaiting vendor"
    AWAITING_CHANGE = "awaiting_change", "Awaiting change"


class IncidentResolutionCode(models.TextChoices):
    """How an incident was resolved (required to resolve it)."""

    SOLVED_WORKAROUND = "solved_workaround", "Solved (workaround)"
    SOLVED_PERMANENTLY = "solved_permanently", "Solved (permanently)"
    NOT_REPRODUCIBLE = "not_reproducible", "Not reproducible"
    DUPLICATE = "duplicate", "Duplicate"
    USER_ERROR = "user_error", "User error"
    RESOLVED_BY_CHANGE = "resolved_by_change", "Resolved by change"


class AssignmentRuleMethod(models.TextChoices):
    """How a rule picks the member of its team."""

    ROUND_ROBIN = "round_robin", "Round robin"
    LEAST_LOADED = "least_loaded", "Least loaded"


class MajorIncidentAudience(models.TextChoices):
    """Whom a major-incident update is written for."""

    INTERNAL = "internal", "Internal (the resolving teams)"
    STAKEHOLDERS = "stakeholders", "Stakeholders (management, service owners)"
    CUSTOMERS = "customers", "Customers (every affected requester)"


class ReviewStatus(models.TextChoices):
    """Where a post-incident review stands."""

    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    COMPLETED = "completed", "Completed"


#: The review's steps: from -> the statuses it may move to.
REVIEW_STEPS: dict[str, tuple[str, ...]] = {
    ReviewStatus.DRAFT: (ReviewStatus.IN_REVIEW,),
    ReviewStatus.IN_REVIEW: (ReviewStatus.DRAFT, ReviewStatus.COMPLETED),
    ReviewStatus.COMPLETED: (ReviewStatus.IN_REVIEW,),
}


class InteractionChannel(models.TextChoices):
    """How somebody contacted the service desk."""

    PHONE = "phone", "Call"
    CHAT = "chat", "Chat"
    WALK_IN = "walk_in", "Walk-in"
    EMAIL = "email", "E-mail"


#: The incident contact type an interaction's channel becomes when it raises an incident.
CHANNEL_CONTACT_TYPES: dict[str, str] = {
    InteractionChannel.PHONE: IncidentContactType.PHONE,
    InteractionChannel.CHAT: IncidentContactType.CHAT,
    InteractionChannel.WALK_IN: IncidentContactType.WALK_IN,
    InteractionChannel.EMAIL: IncidentContactType.EMAIL,
}


class InteractionOutcome(models.TextChoices):
    """How a contact ended (``open`` while it goes on)."""

    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved on first contact"
    LINKED = "linked", "Linked to an incident"
    ABANDONED = "abandoned", "Abandoned"
