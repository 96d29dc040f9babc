"""FilterSets for problems and the known-error database (UI and API)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import QuerySet

from steward.problems.choices import ProblemState, ProposalState, RcaMethod
from steward.problems.models import Problem, ProblemProposal
from steward.tickets.filters import TicketFilterSet


class ProblemFilterSet(TicketFilterSet):
    problem_state = django_filters.MultipleChoiceFilter(
        field_name="state", choices=ProblemState.choices, label="State"
    )
    rca_method = django_filters.ChoiceFilter(choices=RcaMethod.choices, label="Analysis method")
    is_known_error = django_filters.BooleanFilter(
        field_name="known_error_at", lookup_expr="isnull", exclude=True, label="Known errors only"
    )
    has_fix = django_filters.BooleanFilter(method="with_fix", label="Fix named")

    class Meta(TicketFilterSet.Meta):
        model = Problem
        fields = [
            *TicketFilterSet.Meta.fields,
            "problem_state",
            "rca_method",
            "is_known_error",
            "has_fix",
        ]

    def with_fix(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        named = queryset.exclude(fix_reference="")
        return named if value else queryset.filter(fix_reference="")


class KnownErrorFilterSet(django_filters.FilterSet):
    """The known-error database: words in the number, title, description, root cause or
    workaround; the service or CI it is about; current (open) ones by default."""

    q = django_filters.CharFilter(method="search", label="Search")
    service = django_filters.NumberFilter(field_name="service_id")
    configuration_item = django_filters.NumberFilter(field_name="configuration_item_id")
    is_open = django_filters.BooleanFilter(method="open_or_not", label="Open")

    class Meta:
        model = Problem
        fields = ["q", "service", "configuration_item", "is_open"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        if not value.strip():
            return queryset
        found: QuerySet[Any] = queryset.search_known_errors(value)  # type: ignore[attr-defined]
        return found

    def open_or_not(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        return queryset.open() if value else queryset.exclude(pk__in=queryset.open().values("pk"))  # type: ignore[attr-defined]


class ProblemProposalFilterSet(django_filters.FilterSet):
    """The proposals queue: open ones by default on the page; by CI, service, category."""

    state = django_filters.ChoiceFilter(choices=ProposalState.choices)
    configuration_item = django_filters.NumberFilter(field_name="configuration_item_id")
    service = django_filters.NumberFilter(field_name="service_id")
    category = django_filters.NumberFilter(field_name="category_id")
    min_incidents = django_filters.NumberFilter(
        field_name="incident_count", lookup_expr="gte", label="At least this many incidents"
    )

    class Meta:
        model = ProblemProposal
        fields = ["state", "configuration_item", "service", "category", "min_incidents"]
