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
    InteractionChannel,
    InteractionOutcome,
    MajorIncidentAudience,
    ReviewStatus,
)
from steward.incidents.models import (
    AssignmentRule,
    Category,
    Incident,
    Interaction,
    MajorIncidentUpdate,
    PostIncidentReview,
    ReviewAction,
)
from steward.tickets.filters import TicketFilterSet


class IncidentFilterSet(TicketFilterSet):
    category = django_filters.NumberFilter(field_name="category_id")
    subcategory = django_filters.NumberFilter(field_name="subcategory_id")
    contact_type = django_filters.MultipleChoiceFilter(choices=IncidentContactType.choices)
    hold_reason = django_filters.ChoiceFilter(choices=IncidentHoldReason.choices)
    resolution_code = django_filters.MultipleChoiceFilter(choices=IncidentResolutionCode.choices)
    reopened = django_filters.BooleanFilter(method="was_reopened", label="Reopened")
    is_major = django_filters.BooleanFilter(label="Major incidents only")

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
            "is_major",
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


class InteractionFilterSet(django_filters.FilterSet):
    channel = django_filters.MultipleChoiceFilter(choices=InteractionChannel.choices)
    outcome = django_filters.MultipleChoiceFilter(choices=InteractionOutcome.choices)
    caller = django_filters.NumberFilter(field_name="caller_id")
    agent = django_filters.NumberFilter(field_name="agent_id")
    team = django_filters.NumberFilter(field_name="team_id")
    incident = django_filters.NumberFilter(field_name="incident_id")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = [
            "channel",
            "outcome",
            "caller",
            "agent",
            "team",
            "incident",
            "started_after",
            "started_before",
        ]


class MajorIncidentUpdateFilterSet(django_filters.FilterSet):
    incident = django_filters.NumberFilter(field_name="incident_id")
    audience = django_filters.MultipleChoiceFilter(choices=MajorIncidentAudience.choices)

    class Meta:
        model = MajorIncidentUpdate
        fields = ["incident", "audience"]


class PostIncidentReviewFilterSet(django_filters.FilterSet):
    incident = django_filters.NumberFilter(field_name="incident_id")
    status = django_filters.MultipleChoiceFilter(choices=ReviewStatus.choices)

    class Meta:
        model = PostIncidentReview
        fields = ["incident", "status"]


class ReviewActionFilterSet(django_filters.FilterSet):
    review = django_filters.NumberFilter(field_name="review_id")
    owner = django_filters.NumberFilter(field_name="owner_id")
    is_done = django_filters.BooleanFilter()

    class Meta:
        model = ReviewAction
        fields = ["review", "owner", "is_done"]
