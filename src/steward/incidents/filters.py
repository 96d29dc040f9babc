"""FilterSets for incidents, their categories and assignment rules (UI and API)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from steward.incidents.choices import (
    AssignmentRuleMethod,
    IncidentContactType,
    IncidentHoldReason,
    IncidentResolutionCode,
)
from steward.incidents.models import AssignmentRule, Category, Incident
from steward.tickets.filters import TicketFilterSet


class IncidentFilterSet(TicketFilterSet):
    category = django_filters.NumberFilter(field_name="category_id")
    subcategory = django_filters.NumberFilter(field_name="subcategory_id")
    contact_type = django_filters.MultipleChoiceFilter(choices=IncidentContactType.choices)
    hold_reason = django_filters.ChoiceFilter(choices=IncidentHoldReason.choices)
    resolution_code = django_filters.MultipleChoiceFilter(choices=IncidentResolutionCode.choices)
    reopened = django_filters.BooleanFilter(method="was_reopened", label="Reopened")

    class Meta(TicketFilterSet.Meta):
        model = Incident
        fields = [
            *TicketFilterSet.Meta.fields,
            "category",
            "subcategory",
            "contact_type",
            "hold_reason",
            "resolution_code",
            "reopened",
        ]

    def was_reopened(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.filter(reopen_count__gt=0) if value else queryset.filter(reopen_count=0)


class CategoryFilterSet(django_filters.FilterSet):
    parent = django_filters.NumberFilter(field_name="parent_id")
    is_root = django_filters.BooleanFilter(field_name="parent", lookup_expr="isnull")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Category
        fields = ["parent", "is_root", "is_active"]


class AssignmentRuleFilterSet(django_filters.FilterSet):
    team = django_filters.NumberFilter(field_name="team_id")
    is_active = django_filters.BooleanFilter()
    method = django_filters.ChoiceFilter(choices=AssignmentRuleMethod.choices)

    class Meta:
        model = AssignmentRule
        fields = ["team", "is_active", "method"]
