"""Configuration items (CIs), their classes, and the typed relationships between them.

One CI table: a CI's class is its ``ci_type``, its class-specific data a JSON ``attributes``
column validated against the class's ``AttributeDefinition`` rows (and those of its
ancestors: classes form a shallow hierarchy). A service — business or technical — is a CI
whose class is a service class, so impact analysis from any CI reaches the services it hurts.

Relationships are typed; each ``RelationshipType`` says which classes may be its source and
target and which way a failure travels. ``ImpactEdge`` holds one row per direction a failure
can travel along a relationship, so impact analysis is a single recursive query over an
indexed table (``cmdb.impact``).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.choices import AttributeKind, CIStatus, CITypeKind, ImpactDirection
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule


class CITypeQuerySet(ScopedQuerySet["CIType"]):
    def services(self) -> CITypeQuerySet:
        return self.filter(kind__in=CITypeKind.services())


class CIType(models.Model):
    """A class of configuration item: "Business service", "Server", "Virtual server", ...

    Classes nest at most three deep; a class has its own attribute definitions and those of
    its ancestors.
    """

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=CITypeKind.choices)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        help_text="The broader class this one refines (hardware > server > virtual server).",
    )
    description = models.TextField(blank=True)
    identified_by = models.JSONField(
        default=list,
        blank=True,
        help_text="Attribute codes (or serial_number, name) that identify a CI of this class.",
    )
    source_precedence = models.JSONField(
        default=list,
        blank=True,
        help_text="Sources of attribute values, the most trusted first (e.g. manual, "
        "discovery, import), for this class and its subclasses; empty: the parent's, else "
        "the site's order (manual, import, discovery).",
    )

    objects = CITypeQuerySet.as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["name"]
        verbose_name = "CI type"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cmdb:citype_detail", args=[self.pk])

    @property
    def is_service(self) -> bool:
        return self.kind in CITypeKind.services()

    def lineage(self) -> list[CIType]:
        """This class and its ancestors, the root last (at most ``MAX_CLASS_DEPTH``); read
        once per transaction (``classcache``) for a saved class."""
        from steward.cmdb import classcache

        def walk() -> list[CIType]:
            chain: list[CIType] = []
            current: CIType | None = self
            while current is not None and current not in chain:
                chain.append(current)
                current = current.parent
            return chain

        if self.pk is None:
            return walk()
        return classcache.remember(("lineage", self.pk, self.parent_id), walk)


class AttributeDefinition(models.Model):
    """One typed attribute of a class: its key in ``ConfigurationItem.attributes``, its rules."""

    ci_type = models.ForeignKey(CIType, on_delete=models.CASCADE, related_name="attribute_defs")
    code = models.SlugField(
        max_length=50, help_text="The key in the CI's attributes (lower case, underscores)."
    )
    label = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=AttributeKind.choices)
    required = models.BooleanField(default=False)
    unique = models.BooleanField(
        default=False, help_text="No two CIs of this class may share a value."
    )
    choices = models.JSONField(
        default=list, blank=True, help_text="The allowed values of a choice attribute."
    )
    reference_type = models.ForeignKey(
        CIType,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="For a reference: the class (or a subclass) the CI referred to must have.",
    )
    help_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    source_precedence = models.JSONField(
        default=list,
        blank=True,
        help_text="Sources of this attribute's values, the most trusted first; empty: the "
        "class's order.",
    )

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["ci_type", "code"], name="cmdb_attribute_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.ci_type}: {self.label}"


class ConfigurationItemQuerySet(ScopedQuerySet["ConfigurationItem"]):
    def services(self) -> ConfigurationItemQuerySet:
        return self.filter(ci_type__kind__in=CITypeKind.services())

    def operational(self) -> ConfigurationItemQuerySet:
        return self.exclude(status=CIStatus.RETIRED)


class ConfigurationItem(models.Model):
    """Anything managed to deliver a service, and the services themselves."""

    name = models.CharField(max_length=200)
    ci_type = models.ForeignKey(CIType, on_delete=models.PROTECT, related_name="items")
    status = models.CharField(max_length=20, choices=CIStatus.choices, default=CIStatus.DEPLOYED)
    organisation = models.ForeignKey(
        Organisation,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="configuration_items",
        help_text="The customer the CI belongs to; empty for the provider's shared CIs.",
    )
    customers = models.ManyToManyField(
        Organisation,
        blank=True,
        related_name="services_used",
        help_text="For a service: the organisations it is delivered to.",
    )
    owner = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_cis"
    )
    support_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="supported_cis"
    )
    location = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    attribute_sources = models.JSONField(
        default=dict,
        blank=True,
        help_text="Where each attribute's value came from: manual, or an import's source.",
    )
    serial_number = models.CharField(max_length=100, blank=True)
    vendor = models.CharField(max_length=100, blank=True)
    purchase_date = models.DateField(null=True, blank=True)
    cost = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    warranty_end = models.DateField(null=True, blank=True)
    contract = models.CharField(
        max_length=100, blank=True, help_text="The support or lease contract reference."
    )
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
        indexes = [
            models.Index(fields=["ci_type", "name"]),
            models.Index(fields=["status", "name"], name="cmdb_ci_status_name"),
            models.Index(fields=["serial_number"], name="cmdb_ci_serial"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cmdb:ci_detail", args=[self.pk])

    @property
    def is_service(self) -> bool:
        return self.ci_type.is_service


class RelationshipType(models.Model):
    """A kind of relationship ("runs on" / "hosts"), its allowed classes and impact direction.

    Empty ``source_types`` / ``target_types`` allow every class; a listed class allows its
    subclasses too. ``acyclic`` types refuse a relationship that would close a loop.
    """

    code = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100, help_text='Read from the source: "runs on".')
    reverse_name = models.CharField(max_length=100, help_text='Read from the target: "hosts".')
    impact = models.CharField(
        max_length=20, choices=ImpactDirection.choices, default=ImpactDirection.TO_SOURCE
    )
    acyclic = models.BooleanField(
        default=False, help_text="Refuse relationships that would form a cycle of this type."
    )
    source_types = models.ManyToManyField(CIType, blank=True, related_name="+")
    target_types = models.ManyToManyField(CIType, blank=True, related_name="+")
    description = models.TextField(blank=True)

    objects = ScopedQuerySet["RelationshipType"].as_manager()
    policy_rule = Rule()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RelationshipQuerySet(ScopedQuerySet["Relationship"]):
    def touching(self, item: ConfigurationItem) -> RelationshipQuerySet:
        return self.filter(Q(source=item) | Q(target=item))


class Relationship(models.Model):
    """``source`` —type→ ``target``: "payroll-app runs on vm-12"."""

    source = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="relationships_out"
    )
    type = models.ForeignKey(RelationshipType, on_delete=models.PROTECT, related_name="+")
    target = models.ForeignKey(
        ConfigurationItem, on_delete=models.CASCADE, related_name="relationships_in"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = RelationshipQuerySet.as_manager()
    policy_rule = Rule(organisation="source__organisation", shared_with_organisation=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "type", "target"], name="cmdb_relationship_unique"
            ),
            models.CheckConstraint(
                condition=~Q(source=models.F("target")), name="cmdb_relationship_not_self"
            ),
        ]
        indexes = [models.Index(fields=["target", "type"], name="cmdb_rel_target_type")]

    def __str__(self) -> str:
        return f"{self.source} {self.type} {self.target}"


class ImpactEdge(models.Model):
    """A failure of ``upstream`` reaches ``downstream`` through ``relationship``.

    Derived from relationships and their types by ``cmdb.services`` in the same transaction;
    never edited directly.
    """

    relationship = models.ForeignKey(Relationship, on_delete=models.CASCADE, related_name="+")
    upstream = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="+")
    downstream = models.ForeignKey(ConfigurationItem, on_delete=models.CASCADE, related_name="+")

    class Meta:
        indexes = [
            models.Index(fields=["upstream", "downstream"], name="cmdb_edge_up_down"),
            models.Index(fields=["downstream", "upstream"], name="cmdb_edge_down_up"),
        ]

    def __str__(self) -> str:
        return f"{self.upstream_id} → {self.downstream_id}"


class Baseline(models.Model):
    """A named snapshot of a set of CIs: a CI and everything it relies on to a depth.

    Compared later with the CMDB as it is, or with another baseline: the basis of
    configuration verification and audit.
    """

    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    root = models.ForeignKey(
        ConfigurationItem,
        null=True,
        on_delete=models.SET_NULL,
        related_name="baselines",
        help_text="The CI whose upstream the baseline holds (its service, usually).",
    )
    depth = models.PositiveSmallIntegerField(default=5)
    created_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["Baseline"].as_manager()
    policy_rule = Rule(organisation="root__organisation")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("cmdb:baseline_detail", args=[self.pk])


class BaselineItem(models.Model):
    """One CI as a baseline saw it: its fields, attributes and outgoing relationships."""

    baseline = models.ForeignKey(Baseline, on_delete=models.CASCADE, related_name="items")
    ci_id_value = models.BigIntegerField(help_text="The CI's id (kept if the CI goes).")
    name = models.CharField(max_length=200)
    ci_type = models.CharField(max_length=50, help_text="The class code.")
    state = models.JSONField(default=dict, help_text="Fields and attributes as audited.")
    relationships = models.JSONField(
        default=list, help_text="Outgoing relationships as [type code, target id]."
    )

    class Meta:
        ordering = ["baseline", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["baseline", "ci_id_value"], name="cmdb_baseline_item_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.baseline}: {self.name}"
