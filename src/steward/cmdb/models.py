"""Configuration items (CIs) and their types.

One CI table: a CI's kind is its ``ci_type``, its type-specific data a JSON ``attributes``
column. A service — business or technical — is a CI whose type is a service type, so impact
analysis from any CI reaches the services it hurts. Relationships, baselines and
reconciliation come with the CMDB's own capability; tickets point at CIs already.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.choices import CIStatus, CITypeKind
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule


class CITypeQuerySet(ScopedQuerySet["CIType"]):
    def services(self) -> CITypeQuerySet:
        return self.filter(kind__in=CITypeKind.services())


class CIType(models.Model):
    """A class of configuration item: "Business service", "Server", "Database", ..."""

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CITypeKind.choices)
    description = models.TextField(blank=True)

    objects = CITypeQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["name"]
        verbose_name = "CI type"

    def __str__(self) -> str:
        return self.name

    @property
    def is_service(self) -> bool:
        return self.kind in CITypeKind.services()


class ConfigurationItemQuerySet(ScopedQuerySet["ConfigurationItem"]):
    def services(self) -> ConfigurationItemQuerySet:
        return self.filter(ci_type__kind__in=CITypeKind.services())

    def operational(self) -> ConfigurationItemQuerySet:
        return self.exclude(status=CIStatus.RETIRED)


class ConfigurationItem(models.Model):
    """Anything managed to deliver a service, and the services themselves."""

    name = models.CharField(max_length=200)
    ci_type = models.ForeignKey(CIType, on_delete=models.PROTECT, related_name="items")
    status = models.CharField(max_length=20, choices=CIStatus.choices, default=CIStatus.IN_SERVICE)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="configuration_items",
        help_text="The customer the CI belongs to; empty for the provider's shared CIs.",
    )
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_cis"
    )
    support_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="supported_cis"
    )
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ConfigurationItemQuerySet.as_manager()
    policy_rule = Rule(
        organisation="organisation",
        owners={"owner": frozenset({"view"})},
        shared_with_organisation=True,
    )

    class Meta:
        ordering = ["name", "id"]
        verbose_name = "configuration item"
        indexes = [models.Index(fields=["ci_type", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_service(self) -> bool:
        return self.ci_type.is_service
