"""FilterSets for releases, deployments and DML artefacts (UI and API)."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from steward.releases.choices import (
    ArtefactState,
    DeploymentState,
    Environment,
    ReleaseState,
    ReleaseType,
    VerificationResult,
)
from steward.releases.models import Deployment, DmlArtefact, DmlVerification, Release
from steward.tickets.filters import TicketFilterSet


class ReleaseFilterSet(TicketFilterSet):
    release_state = django_filters.MultipleChoiceFilter(
        field_name="state", choices=ReleaseState.choices, label="State"
    )
    release_type = django_filters.MultipleChoiceFilter(choices=ReleaseType.choices, label="Type")
    release_version = django_filters.CharFilter(label="Version")
    planned_after = django_filters.IsoDateTimeFilter(field_name="planned_start", lookup_expr="gte")
    planned_before = django_filters.IsoDateTimeFilter(field_name="planned_start", lookup_expr="lt")
    artefact = django_filters.NumberFilter(method="shipping", label="Ships artefact (id)")

    class Meta(TicketFilterSet.Meta):
        model = Release
        fields = [
            *TicketFilterSet.Meta.fields,
            "release_state",
            "release_type",
            "release_version",
            "planned_after",
            "planned_before",
            "artefact",
        ]

    def shipping(self, queryset: QuerySet[Any], name: str, value: int | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        ships = Release.artefacts.through.objects.filter(dmlartefact_id=value)
        return queryset.filter(pk__in=ships.values("release_id"))


class DmlArtefactFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.MultipleChoiceFilter(choices=ArtefactState.choices, label="State")
    name = django_filters.CharFilter(label="Name (exact)")
    artefact_version = django_filters.CharFilter(label="Version (exact)")
    checksum = django_filters.CharFilter(method="with_checksum", label="SHA-256")
    licence = django_filters.CharFilter(lookup_expr="iexact")

    class Meta:
        model = DmlArtefact
        fields = ["q", "state", "name", "artefact_version", "checksum", "licence"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        for word in value.split()[:8]:
            queryset = queryset.filter(
                Q(name__icontains=word)
                | Q(artefact_version__icontains=word)
                | Q(description__icontains=word)
                | Q(location__icontains=word)
            )
        return queryset

    def with_checksum(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        return queryset.filter(checksum=value.strip().lower().removeprefix("sha256:"))


class DeploymentFilterSet(django_filters.FilterSet):
    release = django_filters.NumberFilter(field_name="release_id")
    environment = django_filters.MultipleChoiceFilter(choices=Environment.choices)
    state = django_filters.MultipleChoiceFilter(choices=DeploymentState.choices, label="Status")
    artefact = django_filters.NumberFilter(field_name="artefacts", label="Installs artefact (id)")
    deployed_by = django_filters.NumberFilter(field_name="deployed_by_id")

    class Meta:
        model = Deployment
        fields = ["release", "environment", "state", "artefact", "deployed_by"]


class DmlVerificationFilterSet(django_filters.FilterSet):
    artefact = django_filters.NumberFilter(field_name="artefact_id")
    result = django_filters.MultipleChoiceFilter(choices=VerificationResult.choices)

    class Meta:
        model = DmlVerification
        fields = ["artefact", "result"]
