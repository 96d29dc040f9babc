"""Release and deployment management and the definitive media library (DML).

``Release`` extends ``tickets.Ticket`` (one level of multi-table inheritance, like
``problems.Problem``) with what is its own: a version, a type, planned and actual dates, the
changes it groups and the DML artefacts it ships. Parties, service, CI, state and the
optimistic-concurrency ``version`` counter are the ticket's, so the release's own version is
``release_version``.

A ``Deployment`` puts a release into one environment (development, test, staging,
production) with the artefacts it installs; its state moves through ``core.workflow`` like
every other state. ``DmlArtefact`` is one approved, checksummed build in the definitive
media library; ``DmlVerification`` records each check of a file against it.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.core.workflow import Category as StateCategory
from steward.releases.choices import (
    ArtefactState,
    DeploymentState,
    Environment,
    ReleaseType,
    VerificationResult,
)
from steward.tickets.models import Ticket

SHA256 = RegexValidator(r"^[0-9a-f]{64}$", "A SHA-256 checksum is 64 lower-case hex digits.")


class ReleaseQuerySet(ScopedQuerySet["Release"]):
    def open(self) -> ReleaseQuerySet:
        return self.filter(state_category__in=StateCategory.OPEN)


class Release(Ticket):
    """A set of changes built, tested and deployed together (ITIL release), as a ticket.

    Requesters see nothing of releases: only roles with the release permissions do (release
    managers write; agents read).
    """

    number_prefix: ClassVar[str] = "RLS"
    sequence_name: ClassVar[str] = "release"
    takes_requester_organisation: ClassVar[bool] = False

    release_version = models.CharField(
        "release version", max_length=50, help_text="The version it ships, e.g. 2.4.0."
    )
    release_type = models.CharField(
        max_length=20, choices=ReleaseType.choices, default=ReleaseType.MINOR
    )
    planned_start = models.DateTimeField(null=True, blank=True)
    planned_end = models.DateTimeField(null=True, blank=True)
    actual_start = models.DateTimeField(null=True, blank=True, editable=False)
    actual_end = models.DateTimeField(null=True, blank=True, editable=False)
    changes = models.ManyToManyField(
        "changes.Change",
        related_name="releases",
        blank=True,
        editable=False,
        help_text="The changes it groups; it goes to production only once they are approved.",
    )
    artefacts = models.ManyToManyField(
        "releases.DmlArtefact", related_name="releases", blank=True, editable=False
    )

    objects = ReleaseQuerySet.as_manager()  # type: ignore[assignment,misc]
    # Staff only, and the provider's: no organisation, no owner reaches it without the
    # release permissions (not even whoever raised it).
    policy_rule = Rule(organisation="organisation")

    class Meta:
        ordering = ["planned_start", "opened_at", "id"]
        indexes = [models.Index(fields=["planned_start", "planned_end"], name="release_planned")]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__isnull=True)
                | Q(planned_start__isnull=True)
                | Q(planned_end__gte=models.F("planned_start")),
                name="release_planned_end_after_start",
            ),
        ]


class DmlArtefactQuerySet(ScopedQuerySet["DmlArtefact"]):
    def approved(self) -> DmlArtefactQuerySet:
        return self.filter(state=ArtefactState.APPROVED)


class DmlArtefact(models.Model):
    """One build in the definitive media library: what it is (name and version), its
    SHA-256 checksum and size, where it is stored and under which licence.

    It is registered as a draft, approved by a release manager (who and when are kept) and
    retired when no longer to be deployed. Only approved artefacts are deployed (a setting).
    """

    name = models.CharField(max_length=200)
    artefact_version = models.CharField("version", max_length=50)
    checksum = models.CharField(
        "SHA-256 checksum", max_length=64, validators=[SHA256], db_index=True
    )
    size_bytes = models.PositiveBigIntegerField("size in bytes")
    location = models.CharField(
        "storage location", max_length=500, help_text="Where the file is kept (URI or path)."
    )
    licence = models.CharField(max_length=100, blank=True)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=20, choices=ArtefactState.choices, editable=False)
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    registered_at = models.DateTimeField(default=timezone.now, editable=False)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    approved_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = DmlArtefactQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["name", "-registered_at", "-id"]
        verbose_name = "DML artefact"
        permissions = [("approve_dmlartefact", "Can approve and retire DML artefacts")]
        constraints = [
            models.UniqueConstraint(
                fields=["name", "artefact_version"], name="dml_artefact_name_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}@{self.artefact_version}"

    def get_absolute_url(self) -> str:
        return reverse("releases:artefact_detail", args=[self.pk])

    @property
    def is_approved(self) -> bool:
        return self.state == ArtefactState.APPROVED


class DmlVerification(models.Model):
    """One check of a file against the DML: who, when, what was computed and the result."""

    artefact = models.ForeignKey(
        DmlArtefact,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="verifications",
        help_text="The artefact checked against; empty when none was found.",
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checked_at = models.DateTimeField(default=timezone.now)
    file_name = models.CharField(max_length=255, help_text="The file checked (its name or path).")
    checksum = models.CharField("computed SHA-256", max_length=64, validators=[SHA256])
    size_bytes = models.PositiveBigIntegerField("computed size in bytes")
    result = models.CharField(max_length=20, choices=VerificationResult.choices)

    objects = ScopedQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["-checked_at", "-id"]
        indexes = [models.Index(fields=["artefact", "-checked_at"], name="dml_verification_recent")]

    def __str__(self) -> str:
        return f"{self.file_name}: {self.result}"


class DeploymentQuerySet(ScopedQuerySet["Deployment"]):
    def succeeded_in(self, environments: tuple[str, ...]) -> DeploymentQuerySet:
        return self.filter(environment__in=environments, state=DeploymentState.SUCCEEDED)


class Deployment(models.Model):
    """A release put into one environment, with the DML artefacts it installs."""

    release = models.ForeignKey(Release, on_delete=models.CASCADE, related_name="deployments")
    environment = models.CharField(max_length=20, choices=Environment.choices)
    state = models.CharField(
        "status", max_length=20, choices=DeploymentState.choices, editable=False
    )
    artefacts = models.ManyToManyField(
        DmlArtefact, related_name="deployments", blank=True, editable=False
    )
    planned_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        help_text="Who carried it out (whoever started it).",
    )
    started_at = models.DateTimeField(null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(null=True, blank=True, editable=False)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = DeploymentQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["release", "environment", "-created_at", "-id"]
        indexes = [
            models.Index(fields=["release", "environment", "-created_at"], name="deployment_env")
        ]

    def __str__(self) -> str:
        return f"{self.release_id} to {self.environment} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("releases:deployment_detail", args=[self.pk])
