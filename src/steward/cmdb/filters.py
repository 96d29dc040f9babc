"""FilterSets shared by the web UI and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from steward.cmdb.attributes import descendant_ids
from steward.cmdb.choices import CIStatus, CITypeKind
from steward.cmdb.models import (
    AttributeDefinition,
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipType,
)


class CITypeFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=CITypeKind.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")

    class Meta:
        model = CIType
        fields = ["q", "kind", "parent"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class AttributeDefinitionFilterSet(django_filters.FilterSet):
    ci_type = django_filters.NumberFilter(field_name="ci_type_id")

    class Meta:
        model = AttributeDefinition
        fields = ["ci_type"]


class ConfigurationItemFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    ci_type = django_filters.ModelChoiceFilter(
        queryset=CIType.objects.all(), method="filter_class", label="Class"
    )
    status = django_filters.ChoiceFilter(choices=CIStatus.choices)
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    support_team = django_filters.NumberFilter(field_name="support_team_id")
    owner = django_filters.NumberFilter(field_name="owner_id")
    is_service = django_filters.BooleanFilter(method="filter_service", label="Services only")
    warranty_before = django_filters.DateFilter(
        field_name="warranty_end", lookup_expr="lt", label="Warranty ends before"
    )

    class Meta:
        model = ConfigurationItem
        fields = [
            "q",
            "ci_type",
            "status",
            "organisation",
            "support_team",
            "owner",
            "is_service",
            "warranty_before",
        ]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(serial_number__iexact=value) | Q(location__icontains=value)
        )

    def filter_class(self, queryset: QuerySet[Any], name: str, value: CIType) -> QuerySet[Any]:
        """A class selects its subclasses' CIs too."""
        return queryset.filter(ci_type_id__in=descendant_ids(value))

    def filter_service(self, queryset: QuerySet[Any], name: str, value: bool) -> QuerySet[Any]:
        services = Q(ci_type__kind__in=CITypeKind.services())
        return queryset.filter(services if value else ~services)


class RelationshipTypeFilterSet(django_filters.FilterSet):
    class Meta:
        model = RelationshipType
        fields = ["acyclic", "impact"]


class RelationshipFilterSet(django_filters.FilterSet):
    source = django_filters.NumberFilter(field_name="source_id")
    target = django_filters.NumberFilter(field_name="target_id")
    ci = django_filters.NumberFilter(method="filter_ci", label="Either end")
    type = django_filters.NumberFilter(field_name="type_id")

    class Meta:
        model = Relationship
        fields = ["source", "target", "ci", "type"]

    def filter_ci(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset.filter(Q(source_id=value) | Q(target_id=value))
