"""API representations of the CMDB. Writes go through ``cmdb.services``; no rules here."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.choices import MAX_IMPACT_DEPTH, ImpactWay
from steward.cmdb.models import (
    AttributeDefinition,
    Baseline,
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipType,
)
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)


class CITypeSerializer(StewardModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(  # type: ignore[assignment]  # DRF Field.parent
        queryset=CIType.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = CIType
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "parent",
            "description",
            "identified_by",
            "source_precedence",
        ]
        read_only_fields = ["id"]


class AttributeDefinitionSerializer(StewardModelSerializer):
    ci_type = ScopedPrimaryKeyRelatedField(queryset=CIType.objects.all())
    reference_type = ScopedPrimaryKeyRelatedField(
        queryset=CIType.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = AttributeDefinition
        fields = [
            "id",
            "ci_type",
            "code",
            "label",
            "kind",
            "required",
            "unique",
            "choices",
            "reference_type",
            "help_text",
            "position",
            "source_precedence",
        ]
        read_only_fields = ["id"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["ci_type"].read_only = True  # a definition does not move between classes
        return fields


class ConfigurationItemSerializer(StewardModelSerializer):
    ci_type = ScopedPrimaryKeyRelatedField(queryset=CIType.objects.all())
    organisation = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    customers = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True, required=False
    )
    owner = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False
    )
    support_team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    attributes = serializers.DictField(
        required=False,
        help_text="Values by attribute code, validated against the class (replaces the set).",
    )

    class Meta:
        model = ConfigurationItem
        fields = [
            "id",
            "name",
            "ci_type",
            "status",
            "organisation",
            "customers",
            "owner",
            "support_team",
            "location",
            "description",
            "attributes",
            "serial_number",
            "vendor",
            "purchase_date",
            "cost",
            "warranty_end",
            "contract",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]


class RelationshipTypeSerializer(StewardModelSerializer):
    source_types = ScopedPrimaryKeyRelatedField(
        queryset=CIType.objects.all(), many=True, required=False
    )
    target_types = ScopedPrimaryKeyRelatedField(
        queryset=CIType.objects.all(), many=True, required=False
    )

    class Meta:
        model = RelationshipType
        fields = [
            "id",
            "code",
            "name",
            "reverse_name",
            "impact",
            "acyclic",
            "source_types",
            "target_types",
            "description",
        ]
        read_only_fields = ["id"]


class RelationshipSerializer(StewardModelSerializer):
    source = ScopedPrimaryKeyRelatedField(  # type: ignore[assignment]  # DRF Field.source
        queryset=ConfigurationItem.objects.all()
    )
    target = ScopedPrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    type = ScopedPrimaryKeyRelatedField(queryset=RelationshipType.objects.all())

    class Meta:
        model = Relationship
        fields = ["id", "source", "type", "target", "created_at"]
        read_only_fields = ["id", "created_at"]


class ImpactQuerySerializer(StewardSerializer):
    direction = serializers.ChoiceField(choices=ImpactWay.choices, default=ImpactWay.DOWNSTREAM)
    depth = serializers.IntegerField(min_value=1, max_value=MAX_IMPACT_DEPTH, default=3)


class ImpactCISerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ci_type = serializers.CharField(source="ci_type.code")
    status = serializers.CharField()
    depth = serializers.IntegerField()


class OrganisationRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ImpactServiceSerializer(ImpactCISerializer):
    customers = OrganisationRefSerializer(many=True, source="affected_customers")


class ImpactSerializer(serializers.Serializer[Any]):
    ci = serializers.IntegerField(source="start.pk")
    direction = serializers.CharField(source="way")
    depth = serializers.IntegerField()
    total = serializers.IntegerField(help_text="CIs reached, including those not shown.")
    truncated = serializers.BooleanField()
    items = ImpactCISerializer(many=True)
    services = ImpactServiceSerializer(many=True, help_text="Business services reached.")
    customers = serializers.SerializerMethodField()

    def get_customers(self, result: Any) -> list[dict[str, Any]]:
        return [{"id": o.pk, "name": o.name} for o in result.customers()]


class ImportRequestSerializer(StewardSerializer):
    file = serializers.FileField(help_text="CSV or JSON rows (see the CMDB documentation).")
    format = serializers.ChoiceField(
        choices=["csv", "json"], required=False, help_text="Default: from the file name."
    )
    source = serializers.CharField(  # type: ignore[assignment]  # DRF Field.source
        default="import",
        max_length=50,
        help_text="Where the data comes from; values a more trusted source set are kept.",
    )
    dry_run = serializers.BooleanField(default=False)
    apply_valid = serializers.BooleanField(
        default=False, help_text="Apply the valid rows even if others are refused."
    )


class ImportErrorSerializer(serializers.Serializer[Any]):
    line = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class ImportReportSerializer(serializers.Serializer[Any]):
    dry_run = serializers.BooleanField()
    applied = serializers.BooleanField(help_text="Whether anything was written.")
    rows = serializers.IntegerField()
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    relationships_created = serializers.IntegerField()
    relationships_unchanged = serializers.IntegerField()
    errors = ImportErrorSerializer(many=True)  # type: ignore[assignment]  # Serializer.errors
    kept = serializers.ListField(
        child=serializers.DictField(),
        help_text="Attributes left as they were: a more trusted source set them.",
    )


class FindingSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField()
    rows = serializers.ListField(child=serializers.DictField())


class QualityReportSerializer(serializers.Serializer[Any]):
    missing_required = FindingSerializer()
    orphans = FindingSerializer()
    services_without_owner = FindingSerializer()
    duplicates = FindingSerializer()


class BaselineSerializer(StewardModelSerializer):
    root = ScopedPrimaryKeyRelatedField(  # type: ignore[assignment]  # DRF Field.root
        queryset=ConfigurationItem.objects.all()
    )
    depth = serializers.IntegerField(min_value=1, max_value=MAX_IMPACT_DEPTH, default=5)

    class Meta:
        model = Baseline
        fields = ["id", "name", "description", "root", "depth", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]


class BaselineCompareQuerySerializer(StewardSerializer):
    other = serializers.IntegerField(
        required=False, help_text="Another baseline's id; without it, the CMDB now."
    )


class DifferenceSerializer(serializers.Serializer[Any]):
    added = serializers.ListField(child=serializers.DictField())
    removed = serializers.ListField(child=serializers.DictField())
    changed = serializers.ListField(child=serializers.DictField())
