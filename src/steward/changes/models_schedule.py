"""The change schedule's own records: maintenance and blackout windows, the conflict policy,
overrides of blocking conflicts, and the calendar feed keys.

Imported at the end of ``changes/models.py`` so they belong to the ``changes`` app (their
permissions are ``changes.*``: change managers write them, staff who see changes read them).

* A ``MaintenanceWindow`` says when a CI (or a service: services are CIs) may be changed:
  weekly ranges in a time zone (``recurring``) or one date range (``one_off``). A CI with no
  window may be changed at any time.
* A ``BlackoutWindow`` (a change freeze) covers every change (``service`` empty) or the
  changes touching one service; its ``policy`` says whether a change inside it is only
  warned about or refused. Two blackouts of the same scope never overlap.
* ``SchedulePolicy`` is one row: per conflict kind warn or block, and how many CMDB hops
  away another change still counts as related.
* A ``ConflictOverride`` records who scheduled a change despite blocking conflicts, why, and
  for which start and end (another time needs another override).
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule

__all__ = [
    "MAX_HOPS",
    "BlackoutWindow",
    "CalendarFeed",
    "ConflictAction",
    "ConflictKind",
    "ConflictOverride",
    "MaintenanceWindow",
    "SchedulePolicy",
    "WindowKind",
]

#: The most CMDB hops the conflict search may walk.
MAX_HOPS = 4
#: Weekday names by number (0 = Monday), as ``core.calendars`` counts them.
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class WindowKind(models.TextChoices):
    """A maintenance window repeats weekly or is one date range."""

    RECURRING = "recurring", "Weekly"
    ONE_OFF = "one_off", "One-off"


class ConflictAction(models.TextChoices):
    """What a conflict does to scheduling: a warning shown, or a refusal (unless overridden)."""

    WARN = "warn", "Warn"
    BLOCK = "block", "Block"


class ConflictKind(models.TextChoices):
    """Why a planned period conflicts."""

    SAME_CI = "same_ci", "Another change on the same CI"
    RELATED_CI = "related_ci", "Another change on a related CI"
    OUTSIDE_WINDOW = "outside_window", "Outside the maintenance window"
    BLACKOUT = "blackout", "Inside a blackout window"


class MaintenanceWindowQuerySet(ScopedQuerySet["MaintenanceWindow"]):
    def for_cis(self, ci_ids: Any) -> MaintenanceWindowQuerySet:
        return self.filter(configuration_item_id__in=ci_ids)


class MaintenanceWindow(models.Model):
    """When a CI may be changed: weekly local-time ranges, or one date range."""

    name = models.CharField(max_length=200)
    configuration_item = models.ForeignKey(
        "cmdb.ConfigurationItem",
        on_delete=models.CASCADE,
        related_name="maintenance_windows",
        help_text="The CI or service the window is for.",
    )
    kind = models.CharField(max_length=20, choices=WindowKind.choices)
    weekdays = models.JSONField(
        default=list, blank=True, help_text="Weekly: the days (0 = Monday .. 6 = Sunday)."
    )
    start_time = models.TimeField(null=True, blank=True, help_text="Weekly: local start.")
    end_time = models.TimeField(
        null=True,
        blank=True,
        help_text="Weekly: local end; at or before the start, the window runs past midnight.",
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    starts_at = models.DateTimeField(null=True, blank=True, help_text="One-off: start.")
    ends_at = models.DateTimeField(null=True, blank=True, help_text="One-off: end.")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = MaintenanceWindowQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["configuration_item", "name", "id"]
        constraints = [
            models.CheckConstraint(
                name="changes_mw_shape",
                condition=(
                    Q(
                        kind=WindowKind.ONE_OFF,
                        starts_at__isnull=False,
                        ends_at__isnull=False,
                        starts_at__lt=models.F("ends_at"),
                    )
                    | Q(kind=WindowKind.RECURRING, start_time__isnull=False, end_time__isnull=False)
                ),
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("change_schedule:window_edit", args=[self.pk])

    def describe(self) -> str:
        """``Sat, Sun 22:00-04:00 Europe/Berlin`` or the one-off range in UTC."""
        if self.kind == WindowKind.ONE_OFF:
            assert self.starts_at is not None and self.ends_at is not None
            return f"{self.starts_at:%Y-%m-%d %H:%M} - {self.ends_at:%Y-%m-%d %H:%M} UTC"
        days = ", ".join(WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        assert self.start_time is not None and self.end_time is not None
        return f"{days} {self.start_time:%H:%M}-{self.end_time:%H:%M} {self.time_zone}"


class BlackoutWindowQuerySet(ScopedQuerySet["BlackoutWindow"]):
    def overlapping(self, start: Any, end: Any) -> BlackoutWindowQuerySet:
        return self.filter(starts_at__lt=end, ends_at__gt=start)


class BlackoutWindow(models.Model):
    """A change freeze: every change (no service) or those of one service, warned or refused."""

    name = models.CharField(max_length=200)
    service = models.ForeignKey(
        "cmdb.ConfigurationItem",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="blackout_windows",
        help_text="Empty: every change.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    policy = models.CharField(
        max_length=10, choices=ConflictAction.choices, default=ConflictAction.BLOCK
    )
    reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = BlackoutWindowQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                name="changes_blackout_ends_after_start",
                condition=Q(starts_at__lt=models.F("ends_at")),
            )
        ]
        indexes = [models.Index(fields=["starts_at", "ends_at"], name="changes_blackout_period")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("change_schedule:blackout_edit", args=[self.pk])

    @property
    def scope_label(self) -> str:
        return str(self.service) if self.service_id else "All changes"


class SchedulePolicy(models.Model):
    """The site's one conflict policy (``pk`` 1), edited by change managers."""

    same_ci = models.CharField(
        max_length=10, choices=ConflictAction.choices, default=ConflictAction.BLOCK
    )
    related_ci = models.CharField(
        max_length=10, choices=ConflictAction.choices, default=ConflictAction.WARN
    )
    outside_window = models.CharField(
        max_length=10, choices=ConflictAction.choices, default=ConflictAction.WARN
    )
    hops = models.PositiveSmallIntegerField(
        default=2, help_text=f"How many CMDB hops away a change still conflicts (1-{MAX_HOPS})."
    )
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["SchedulePolicy"].as_manager()
    policy_rule = Rule()

    class Meta:
        verbose_name = "schedule policy"
        verbose_name_plural = "schedule policies"
        constraints = [
            models.CheckConstraint(
                name="changes_schedule_policy_hops", condition=Q(hops__gte=1, hops__lte=MAX_HOPS)
            )
        ]

    def __str__(self) -> str:
        return "Schedule policy"

    def action_for(self, kind: str) -> str:
        """Warn or block for a conflict kind (a blackout's own policy decides for blackouts)."""
        return str(getattr(self, kind))


class ConflictOverride(models.Model):
    """A change scheduled despite blocking conflicts: by whom, why, for which period."""

    change = models.ForeignKey(
        "changes.Change", on_delete=models.CASCADE, related_name="conflict_overrides"
    )
    plan_revision = models.PositiveIntegerField()
    planned_start = models.DateTimeField()
    planned_end = models.DateTimeField()
    conflicts = models.JSONField(
        default=list, help_text="The blocking conflicts overridden, as their keys."
    )
    reason = models.TextField()
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["ConflictOverride"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["change", "planned_start", "planned_end"], name="changes_ovr_plan")
        ]

    def __str__(self) -> str:
        return f"Override for change {self.change_id}"


class CalendarFeed(models.Model):
    """A person's calendar feed key; the signed feed URL carries it, a reset replaces it."""

    person = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="change_calendar_feed"
    )
    key = models.CharField(max_length=64, default=secrets.token_urlsafe)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["CalendarFeed"].as_manager()
    policy_rule = Rule(owners={"person": frozenset({"view", "change"})})

    def __str__(self) -> str:
        return f"Calendar feed of {self.person_id}"
