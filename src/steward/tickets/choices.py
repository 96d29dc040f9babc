"""Choices every ticket shares."""

from django.db import models


class Impact(models.IntegerChoices):
    """How widely the business is affected."""

    HIGH = 1, "High: many people or a whole service"
    MEDIUM = 2, "Medium: a group or part of a service"
    LOW = 3, "Low: one person"


class Urgency(models.IntegerChoices):
    """How soon the business needs it."""

    HIGH = 1, "High: work has stopped"
    MEDIUM = 2, "Medium: work is hampered"
    LOW = 3, "Low: it can wait"


class Priority(models.IntegerChoices):
    CRITICAL = 1, "1 Critical"
    HIGH = 2, "2 High"
    MODERATE = 3, "3 Moderate"
    LOW = 4, "4 Low"
    PLANNING = 5, "5 Planning"


#: The usual ITIL matrix; administrators may change it (``PriorityRule`` rows).
DEFAULT_MATRIX: dict[tuple[int, int], int] = {
    (1, 1): 1,
    (1, 2): 2,
    (1, 3): 3,
    (2, 1): 2,
    (2, 2): 3,
    (2, 3): 4,
    (3, 1): 3,
    (3, 2): 4,
    (3, 3): 5,
}


class LinkType(models.TextChoices):
    """A typed link from one ticket to another, read "source <type> target"."""

    PARENT_OF = "parent_of", "is parent of"
    CAUSED_BY = "caused_by", "is caused by"
    DUPLICATE_OF = "duplicate_of", "is a duplicate of"
    RELATED_TO = "related_to", "is related to"


#: How a link reads from its target's side.
LINK_INVERSE_LABELS: dict[str, str] = {
    LinkType.PARENT_OF: "is child of",
    LinkType.CAUSED_BY: "causes",
    LinkType.DUPLICATE_OF: "has duplicate",
    LinkType.RELATED_TO: "is related to",
}


class TicketState(models.TextChoices):
    """The states of a plain ticket (a task); other kinds declare their own."""

    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    ON_HOLD = "on_hold", "On hold"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"
