"""Import runs and the records they created.

``ImportRun`` is one ``steward import`` of one file: its source, the file's checksum, how far
it got (cases committed, the last case) and its summary (counts, unmapped values, errors
with line numbers). A run that stopped is continued by the same command on the same file.
``ImportedRecord`` ties a source's own identifier (an incident number, a team name) to the
Steward record made from it, so a second import of the same file finds everything and adds
nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from steward.core.models import ScopedQuerySet


class ImportSource(models.TextChoices):
    """The public event logs Steward reads (one importer each)."""

    SERVICENOW_INCIDENTS = "servicenow-incidents", "ServiceNow incident event log"
    BPIC2013_INCIDENTS = "bpic2013-incidents", "BPI Challenge 2013 incidents (Volvo IT)"
    BPIC2013_PROBLEMS = "bpic2013-problems", "BPI Challenge 2013 problems (Volvo IT)"
    BPIC2014_CHANGES = "bpic2014-changes", "BPI Challenge 2014 changes (Rabobank)"


class ImportRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    COMPLETED = "completed", "Completed"
    COMPLETED_WITH_ERRORS = "completed_with_errors", "Completed with errors"
    FAILED = "failed", "Failed (continue it with the same command)"


class ImportRunQuerySet(ScopedQuerySet["ImportRun"]):
    def unfinished(self) -> ImportRunQuerySet:
        return self.filter(status__in=(ImportRunStatus.RUNNING, ImportRunStatus.FAILED))


class ImportRun(models.Model):
    """One import of one file; continued (not restarted) after an interruption."""

    source = models.CharField(max_length=40, choices=ImportSource.choices)
    path = models.CharField(max_length=500, help_text="The file as named on the command line.")
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the file as shipped.")
    status = models.CharField(
        max_length=30, choices=ImportRunStatus.choices, default=ImportRunStatus.RUNNING
    )
    time_zone = models.CharField(
        max_length=64, blank=True, help_text="The zone of the source's timestamps without one."
    )
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    cases_committed = models.PositiveIntegerField(
        default=0, help_text="Cases of the file handled so far, in file order (resume point)."
    )
    last_case = models.CharField(max_length=100, blank=True)
    resumed = models.PositiveIntegerField(default=0, help_text="How often it was continued.")
    summary = models.JSONField(default=dict, blank=True)

    objects = ImportRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["source", "checksum"], name="import_run_file")]

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.started_at:%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("interop:importrun_detail", args=[self.pk])

    @property
    def counts(self) -> dict[str, Any]:
        value = self.summary.get("counts", {})
        return value if isinstance(value, dict) else {}

    @property
    def unmapped(self) -> list[dict[str, Any]]:
        value = self.summary.get("unmapped", [])
        return value if isinstance(value, list) else []

    @property
    def errors(self) -> list[dict[str, Any]]:
        value = self.summary.get("errors", [])
        return value if isinstance(value, list) else []


class ImportedRecord(models.Model):
    """A source's identifier of something and the Steward record it became.

    ``kind`` says what was identified (``incident``, ``person``, ``team``, ...); ``data``
    keeps the source's raw values that have no Steward field (or did not map).
    """

    source = models.CharField(max_length=40, choices=ImportSource.choices)
    kind = models.CharField(max_length=30)
    external_id = models.CharField(max_length=200)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    run = models.ForeignKey(
        ImportRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="records"
    )
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["ImportedRecord"].as_manager()

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "kind", "external_id"], name="uniq_imported_record"
            )
        ]
        indexes = [models.Index(fields=["object_type", "object_id"], name="imported_object")]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id}"
