"""Choices of service level management."""

from django.db import models


class AgreementKind(models.TextChoices):
    """Who the agreement is with."""

    SLA = "sla", "Service level agreement (with a customer)"
    OLA = "ola", "Operational level agreement (with an internal team)"
    UC = "uc", "Underpinning contract (with a supplier)"


class ChangePolicy(models.TextChoices):
    """What a clock does when a change mid-ticket (priority, service, ...) selects its target."""

    FROM_OPENING = "from_opening", "Recompute from the opening"
    FROM_NOW = "from_now", "Count from the change"


class TargetMetric(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"
    CUSTOM = "custom", "Custom"


class DurationUnit(models.TextChoices):
    """Business time of the agreement's calendar; a day is one business day of it."""

    MINUTES = "minutes", "business minutes"
    HOURS = "hours", "business hours"
    DAYS = "days", "business days"


class ClockState(models.TextChoices):
    PENDING = "pending", "Waiting to start"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    MET = "met", "Met"
    BREACHED = "breached", "Breached"
    CANCELLED = "cancelled", "Cancelled"


#: States in which a clock still counts or may count again.
LIVE_STATES = (ClockState.PENDING, ClockState.RUNNING, ClockState.PAUSED)
