"""FilterSets shared by the web UI and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from steward.accounts.choices import OrganisationKind, RoleCode, SupportLine
from steward.accounts.models import ApiToken, Organisation, Person, Team, TeamMembership


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    role = django_filters.ChoiceFilter(choices=RoleCode.choices, method="filter_role")
    team = django_filters.NumberFilter(method="filter_team")
    is_active = django_filters.BooleanFilter()
    is_away = django_filters.BooleanFilter()

    class Meta:
        model = Person
        fields = ["q", "organisation", "role", "team", "is_active", "is_away"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(full_name__icontains=value) | Q(email__icontains=value))

    # Semi-joins, not DISTINCT over a join: DISTINCT sorts every matching row (bench/).
    def filter_role(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        holders = Person.roles.through.objects.filter(role__code=value).values("person_id")
        return queryset.filter(pk__in=holders)

    def filter_team(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        members = TeamMembership.objects.filter(team_id=value).values("person_id")
        return queryset.filter(pk__in=members)


class OrganisationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices)
    parent = django_filters.NumberFilter(field_name="parent_id")
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Organisation
        fields = ["q", "kind", "parent", "is_active"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class TeamFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label="Search")
    support_line = django_filters.ChoiceFilter(choices=SupportLine.choices)
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    member = django_filters.NumberFilter(field_name="members__id", distinct=True)
    is_active = django_filters.BooleanFilter()

    class Meta:
        model = Team
        fields = ["q", "support_line", "organisation", "member", "is_active"]


class ApiTokenFilterSet(django_filters.FilterSet):
    person = django_filters.NumberFilter(field_name="person_id")

    class Meta:
        model = ApiToken
        fields = ["person"]
