"""Service level management: business calendars, agreements, targets and clocks.

An ``Agreement`` is an SLA with a customer organisation, an OLA with an internal team or an
underpinning contract with a supplier; it covers services (CIs that are services) over a
validity period, on a ``BusinessCalendar``. Its ``Target`` rows say, per ticket kind and
priority (and optionally category), how much business time a first response, a resolution
or a custom goal may take, and when the clock starts, pauses, stops and is cancelled. A
``SlaClock`` is one target on one ticket; ``sla.engine`` computes it from the ticket's
history, and the sweep (``sla.tasks.sweep``) acts on its warning and breach thresholds.
"""

from __future__ import annotations

from datetime import date, time, timedelta
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Organisation, Team
from steward.cmdb.models import ConfigurationItem
from steward.core.calendars import BusinessCalendar as Calendar
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.sla.choices import (
    AgreementKind,
    ChangePolicy,
    ClockState,
    DurationUnit,
    TargetMetric,
)
from steward.sla.engine import Conditions, business_day
from steward.tickets.choices import Priority
from steward.tickets.models import Ticket

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def parse_range(text: str) -> tuple[time, time]:
    """``"08:00-12:30"`` as a pair of times (``ValueError`` when it is not one)."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"{text!r} is not a range like 08:00-17:00.")
    return time.fromisoformat(start.strip()), time.fromisoformat(end.strip())


class BusinessCalendar(models.Model):
    """When an agreement's clocks count: working hours per weekday in a time zone, minus
    public holidays (by country) and the organisation's own closure days.

    ``hours`` maps weekday numbers (``"0"`` = Monday) to ranges like ``"08:00-12:00"``; a
    range ending at or before its start runs past midnight (see ``core.calendars``).
    """

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    hours = models.JSONField(default=dict, help_text='{"0": ["08:00-17:00"], ...}, 0 = Monday.')
    holiday_country = models.CharField(
        max_length=8, blank=True, help_text="Public holidays of this country (ISO code)."
    )
    holiday_subdivision = models.CharField(max_length=16, blank=True)
    closures = models.JSONField(
        default=list, blank=True, help_text="Closure days as ISO dates (YYYY-MM-DD)."
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["BusinessCalendar"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:calendar_edit", args=[self.pk])

    def as_calendar(self) -> Calendar:
        """The calendar the maths works on (``ValueError`` when the definition is unsound)."""
        return calendar_from(
            time_zone=self.time_zone,
            hours=self.hours,
            country=self.holiday_country,
            subdivision=self.holiday_subdivision,
            closures=self.closures,
        )

    def hours_text(self) -> str:
        """``Mon 08:00-17:00; Tue ...``, for lists and explanations."""
        parts = []
        for day in range(7):
            ranges = (self.hours or {}).get(str(day)) or []
            if ranges:
                parts.append(f"{WEEKDAYS[day][:3]} {', '.join(ranges)}")
        return "; ".join(parts)


def calendar_from(
    *, time_zone: str, hours: Any, country: str, subdivision: str, closures: Any
) -> Calendar:
    """Build (and so check) a calendar from its stored form; ``ValueError`` says what is wrong."""
    if not isinstance(hours, dict):
        raise ValueError("Working hours must map weekdays to ranges.")
    parsed: dict[int, tuple[tuple[time, time], ...]] = {}
    for key, ranges in hours.items():
        try:
            day = int(key)
        except (TypeError, ValueError):
            raise ValueError(f"Unknown weekday {key!r}.") from None
        if not isinstance(ranges, list):
            raise ValueError(f"{WEEKDAYS[day % 7]}: ranges must be a list.")
        pairs = []
        for text in ranges:
            try:
                pairs.append(parse_range(str(text)))
            except ValueError:
                raise ValueError(
                    f"{WEEKDAYS[day % 7]}: {text!r} is not like 08:00-17:00."
                ) from None
        if pairs:
            parsed[day] = tuple(pairs)
    if not parsed:
        raise ValueError("The calendar has no working time: give working hours on some day.")
    days = []
    for text in closures or []:
        try:
            days.append(date.fromisoformat(str(text)))
        except ValueError:
            raise ValueError(f"Closure day {text!r} is not a date like 2026-12-24.") from None
    return Calendar(
        time_zone=time_zone,
        hours=parsed,
        country=country or None,
        subdivision=subdivision or None,
        closures=frozenset(days),
    )


class AgreementQuerySet(ScopedQuerySet["Agreement"]):
    def active(self) -> AgreementQuerySet:
        return self.filter(is_active=True)

    def valid_on(self, day: date) -> AgreementQuerySet:
        return self.filter(
            models.Q(valid_from__lte=day),
            models.Q(valid_until__isnull=True) | models.Q(valid_until__gte=day),
        )


class Agreement(models.Model):
    """An SLA (with a customer), OLA (with a team) or underpinning contract (with a supplier).

    It covers ``services`` (none: every service of the customer), over ``valid_from`` to
    ``valid_until`` (inclusive; open-ended when empty), on ``calendar``. An OLA or UC may
    declare the SLAs it ``supports``. ``change_policy`` says how clocks treat a target that
    starts to apply mid-ticket.
    """

    name = models.CharField(max_length=200)
    code = models.SlugField(max_length=50, unique=True)
    kind = models.CharField(max_length=3, choices=AgreementKind.choices)
    customer = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="service_level_agreements",
        help_text="The customer organisation (SLAs).",
    )
    team = models.ForeignKey(
        Team,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="operational_agreements",
        help_text="The internal team (OLAs).",
    )
    supplier = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="underpinning_contracts",
        help_text="The supplier organisation (underpinning contracts).",
    )
    services = models.ManyToManyField(
        ConfigurationItem, blank=True, related_name="agreements", help_text="Empty: every service."
    )
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, related_name="agreements"
    )
    supports = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="supported_by",
        help_text="The SLAs this OLA or underpinning contract supports.",
    )
    valid_from = models.DateField(default=timezone.localdate)
    valid_until = models.DateField(null=True, blank=True)
    change_policy = models.CharField(
        max_length=20, choices=ChangePolicy.choices, default=ChangePolicy.FROM_OPENING
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = AgreementQuerySet.as_manager()
    policy_rule = Rule(organisation="customer")

    class Meta:
        ordering = ["kind", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="agreement_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("sla:agreement_detail", args=[self.pk])

    @property
    def party(self) -> Any:
        """Who the agreement is with (customer, team or supplier)."""
        return {"sla": self.customer, "ola": self.team, "uc": self.supplier}.get(self.kind)

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


class Target(models.Model):
    """One goal of an agreement for one ticket kind and priority (and optionally category).

    The clock starts, pauses, stops and is cancelled when the ticket enters the workflow
    states listed (codes of the kind's workflow). No start states: it starts at once. A
    first-response target also stops at the ticket's first response.
    """

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="targets")
    name = models.CharField(max_length=120)
    metric = models.CharField(max_length=20, choices=TargetMetric.choices)
    ticket_kind = models.CharField(max_length=50, help_text="e.g. incidents.incident")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)
    category = models.CharField(
        max_length=50, blank=True, help_text="Only tickets of this category (its code)."
    )
    duration = models.PositiveIntegerField()
    unit = models.CharField(max_length=10, choices=DurationUnit.choices, default=DurationUnit.HOURS)
    start_states = models.JSONField(default=list, blank=True)
    pause_states = models.JSONField(default=list, blank=True)
    stop_states = models.JSONField(default=list, blank=True)
    cancel_states = models.JSONField(default=list, blank=True)
    warning_thresholds = models.JSONField(
        default=list, blank=True, help_text="Percentages of the duration, e.g. [50, 75, 90]."
    )
    warning_actions = models.JSONField(default=list, blank=True)
    breach_actions = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["Target"].as_manager()
    policy_rule = Rule(organisation="agreement__customer")

    class Meta:
        ordering = ["agreement_id", "ticket_kind", "priority", "metric", "id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(duration__gt=0), name="target_positive"),
            models.UniqueConstraint(
                fields=["agreement", "ticket_kind", "priority", "category", "metric", "name"],
                name="uniq_target",
            ),
        ]
        indexes = [models.Index(fields=["ticket_kind", "priority"], name="target_selects")]

    def __str__(self) -> str:
        return f"{self.agreement}: {self.name}"

    def duration_text(self) -> str:
        return f"{self.duration} {self.get_unit_display()}"

    def length(self, calendar: Calendar) -> timedelta:
        """The target as business time of ``calendar``."""
        if self.unit == DurationUnit.MINUTES:
            return timedelta(minutes=self.duration)
        if self.unit == DurationUnit.HOURS:
            return timedelta(hours=self.duration)
        return business_day(calendar) * self.duration

    def conditions(self) -> Conditions:
        return Conditions(
            start=frozenset(self.start_states),
            pause=frozenset(self.pause_states),
            stop=frozenset(self.stop_states),
            cancel=frozenset(self.cancel_states),
            stop_on_response=self.metric == TargetMetric.FIRST_RESPONSE,
        )


class SlaClockQuerySet(ScopedQuerySet["SlaClock"]):
    def due_for_sweep(self, at: Any) -> SlaClockQuerySet:
        """Clocks with a threshold reached at ``at``, through the index on ``next_check_at``."""
        return self.filter(next_check_at__lte=at)

    def live(self) -> SlaClockQuerySet:
        return self.filter(state__in=(ClockState.PENDING, ClockState.RUNNING, ClockState.PAUSED))


class SlaClock(models.Model):
    """One target on one ticket, as its history makes it (``sla.engine``).

    ``elapsed`` and ``paused`` are business time as of ``measured_at`` (the ticket's last
    change touching the clock); a running clock goes on counting from there. ``due_at`` is
    when elapsed time reaches the target. ``next_check_at`` is the next warning threshold or
    the breach the sweep must act on; ``last_threshold`` the highest it acted on (100: the
    breach), so each acts once.
    """

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="sla_clocks")
    target = models.ForeignKey(Target, on_delete=models.PROTECT, related_name="clocks")
    agreement = models.ForeignKey(Agreement, on_delete=models.PROTECT, related_name="clocks")
    state = models.CharField(max_length=10, choices=ClockState.choices)
    origin = models.DateTimeField(help_text="Where counting starts from (policy applied).")
    attached_at = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    measured_at = models.DateTimeField()
    elapsed = models.DurationField(default=timedelta(0))
    paused = models.DurationField(default=timedelta(0))
    due_at = models.DateTimeField(null=True, blank=True)
    next_check_at = models.DateTimeField(null=True, blank=True)
    last_threshold = models.PositiveSmallIntegerField(default=0)
    is_warned = models.BooleanField(default=False)
    is_breached = models.BooleanField(default=False)
    at_risk_from = models.JSONField(
        default=list,
        blank=True,
        help_text="Codes of the supporting OLAs/contracts at risk or breached on this ticket.",
    )
    paused_intervals = models.JSONField(default=list, blank=True)
    notes = models.JSONField(default=list, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = SlaClockQuerySet.as_manager()
    policy_rule = Rule(organisation="ticket__organisation")

    class Meta:
        ordering = ["ticket_id", "target_id"]
        constraints = [
            models.UniqueConstraint(fields=["ticket", "target"], name="uniq_clock_per_target")
        ]
        indexes = [
            # The sweep reads only what is due: never a scan of every clock.
            models.Index(
                fields=["next_check_at"],
                name="slaclock_next_check",
                condition=models.Q(next_check_at__isnull=False),
            ),
            models.Index(
                fields=["due_at"],
                name="slaclock_running_due",
                condition=models.Q(state="running"),
            ),
            models.Index(fields=["agreement", "state"], name="slaclock_agreement_state"),
        ]

    def __str__(self) -> str:
        return f"{self.target} on {self.ticket_id}"

    @property
    def is_at_risk(self) -> bool:
        """Warned, or flagged by a supporting OLA or contract that is at risk or breached."""
        return self.is_warned or bool(self.at_risk_from)
