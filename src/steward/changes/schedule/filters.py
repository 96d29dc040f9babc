"""FilterSets of the schedule's records, shared by the web UI and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from steward.changes.models_schedule import (
    BlackoutWindow,
    ConflictAction,
    MaintenanceWindow,
    WindowKind,
)


class MaintenanceWindowFilterSet(django_filters.FilterSet):
    configuration_item = django_filters.NumberFilter(field_name="configuration_item_id")
    kind = django_filters.ChoiceFilter(choices=WindowKind.choices)
    q = django_filters.CharFilter(method="search", label="Search")

    class Meta:
        model = MaintenanceWindow
        fields = ["configuration_item", "kind", "q"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value) | Q(configuration_item__name__icontains=value)
        )


class BlackoutWindowFilterSet(django_filters.FilterSet):
    service = django_filters.NumberFilter(field_name="service_id")
    is_global = django_filters.BooleanFilter(field_name="service", lookup_expr="isnull")
    policy = django_filters.ChoiceFilter(choices=ConflictAction.choices)
    ends_after = django_filters.IsoDateTimeFilter(field_name="ends_at", lookup_expr="gt")
    starts_before = django_filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = BlackoutWindow
        fields = ["service", "is_global", "policy", "ends_after", "starts_before"]
