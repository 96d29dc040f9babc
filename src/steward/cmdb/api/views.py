"""API endpoints of the CMDB. Views parse and render; services decide."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from steward.accounts.models import Organisation, actor_of
from steward.cmdb import impact, imports, services
from steward.cmdb.api import serializers as s
from steward.cmdb.filters import (
    AttributeDefinitionFilterSet,
    CITypeFilterSet,
    ConfigurationItemFilterSet,
    RelationshipFilterSet,
    RelationshipTypeFilterSet,
)
from steward.cmdb.models import (
    AttributeDefinition,
    Baseline,
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipType,
)
from steward.core import policy
from steward.core.api.viewsets import CreateMixin, DestroyMixin, StewardViewSet, UpdateMixin


class CITypeViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    queryset = CIType.objects.all()
    serializer_class = s.CITypeSerializer
    filterset_class = CITypeFilterSet
    ordering_fields = ["name", "code", "id"]

    def perform_create(self, serializer: Any) -> CIType:
        return services.create_ci_type(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> CIType:
        return services.update_ci_type(
            actor=actor_of(self.request), ci_type=serializer.instance, **serializer.validated_data
        )


class AttributeDefinitionViewSet(CreateMixin, UpdateMixin, DestroyMixin, StewardViewSet):
    queryset = AttributeDefinition.objects.all()
    serializer_class = s.AttributeDefinitionSerializer
    filterset_class = AttributeDefinitionFilterSet
    ordering_fields = ["position", "code", "id"]

    def perform_create(self, serializer: Any) -> AttributeDefinition:
        return services.create_attribute(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> AttributeDefinition:
        return services.update_attribute(
            actor=actor_of(self.request),
            definition=serializer.instance,
            **serializer.validated_data,
        )

    def perform_destroy(self, instance: AttributeDefinition) -> None:
        services.remove_attribute(actor=actor_of(self.request), definition=instance)


class ConfigurationItemViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    queryset = ConfigurationItem.objects.select_related("ci_type").prefetch_related(
        Prefetch("customers", queryset=Organisation.objects.only("id"))
    )
    serializer_class = s.ConfigurationItemSerializer
    filterset_class = ConfigurationItemFilterSet
    ordering_fields = ["name", "updated_at", "created_at", "warranty_end", "id"]

    def perform_create(self, serializer: Any) -> ConfigurationItem:
        return services.create_ci(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> ConfigurationItem:
        return services.update_ci(
            actor=actor_of(self.request), item=serializer.instance, **serializer.validated_data
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("direction", str, enum=["downstream", "upstream"]),
            OpenApiParameter("depth", int, description="1 to 10 (default 3)"),
        ],
        responses=s.ImpactSerializer,
    )
    @action(detail=True, methods=["get"], url_path="impact", filter_backends=[])
    def impact(self, request: Request, pk: str | None = None) -> Response:
        """What this CI's failure affects (downstream) or what it relies on (upstream), with
        the business services reached and their customers."""
        item = self.get_object()
        query = s.ImpactQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        result = impact.analyse(
            user=request.user,
            item=item,
            way=query.validated_data["direction"],
            depth=query.validated_data["depth"],
        )
        return Response(s.ImpactSerializer(result).data)


class RelationshipTypeViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    queryset = RelationshipType.objects.prefetch_related(
        Prefetch("source_types", queryset=CIType.objects.only("id")),
        Prefetch("target_types", queryset=CIType.objects.only("id")),
    )
    serializer_class = s.RelationshipTypeSerializer
    filterset_class = RelationshipTypeFilterSet
    ordering_fields = ["name", "code", "id"]

    def perform_create(self, serializer: Any) -> RelationshipType:
        return services.create_relationship_type(
            actor=actor_of(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> RelationshipType:
        return services.update_relationship_type(
            actor=actor_of(self.request),
            relationship_type=serializer.instance,
            **serializer.validated_data,
        )


class RelationshipViewSet(CreateMixin, DestroyMixin, StewardViewSet):
    queryset = Relationship.objects.all()
    serializer_class = s.RelationshipSerializer
    filterset_class = RelationshipFilterSet
    ordering_fields = ["created_at", "id"]
    http_method_names = ["get", "post", "delete", "head", "options"]

    def perform_create(self, serializer: Any) -> Relationship:
        return services.create_relationship(
            actor=actor_of(self.request), **serializer.validated_data
        )

    def perform_destroy(self, instance: Relationship) -> None:
        services.delete_relationship(actor=actor_of(self.request), relationship=instance)


class ImportView(APIView):
    """Import and reconcile CIs and relationships from a CSV or JSON file. The answer is
    the report: counts, and each refused row with its line; ``applied`` says whether
    anything was written (never, on a dry run or with refused rows unless ``apply_valid``)."""

    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(request=s.ImportRequestSerializer, responses=s.ImportReportSerializer)
    def post(self, request: Request) -> Response:
        actor = actor_of(request)
        policy.require_add(actor, ConfigurationItem)
        body = s.ImportRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        fmt = body.validated_data.get("format") or (
            "json" if str(upload.name).lower().endswith(".json") else "csv"
        )
        report = imports.import_file(
            actor=actor,
            data=upload.read(),
            fmt=fmt,
            source=body.validated_data["source"],
            dry_run=body.validated_data["dry_run"],
            apply_valid=body.validated_data["apply_valid"],
        )
        return Response(s.ImportReportSerializer(report.as_dict()).data)


class QualityView(APIView):
    """The data-quality report of the CIs the caller may see: CIs missing required
    attributes, orphans, services with no owner, duplicates by identification rule."""

    @extend_schema(responses=s.QualityReportSerializer)
    def get(self, request: Request) -> Response:
        from steward.cmdb.quality import quality_report

        if not policy.has_model_permission(request.user, ConfigurationItem, "view"):
            raise PermissionDenied()
        return Response(quality_report(user=request.user).as_dict())


class BaselineViewSet(CreateMixin, StewardViewSet):
    """Baselines: a CI and what it relies on, as it was; ``compare`` with now or another."""

    queryset = Baseline.objects.all()
    serializer_class = s.BaselineSerializer
    ordering_fields = ["created_at", "name", "id"]
    http_method_names = ["get", "post", "head", "options"]

    def perform_create(self, serializer: Any) -> Baseline:
        return services.create_baseline(actor=actor_of(self.request), **serializer.validated_data)

    @extend_schema(parameters=[s.BaselineCompareQuerySerializer], responses=s.DifferenceSerializer)
    @action(detail=True, methods=["get"], url_path="compare", filter_backends=[])
    def compare(self, request: Request, pk: str | None = None) -> Response:
        """CIs added and removed, attributes and relationships changed since the baseline."""
        baseline = self.get_object()
        query = s.BaselineCompareQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        other = None
        if "other" in query.validated_data:
            other = policy.get_for(request.user, self.get_queryset(), query.validated_data["other"])
        difference = services.compare_baseline(baseline=baseline, other=other)
        return Response(difference.as_dict())
