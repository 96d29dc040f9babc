"""Filters of import runs, shared by the Imports page and ``/api/v1/import-runs/``."""

from __future__ import annotations

import django_filters

from steward.interop.models import ImportRun, ImportRunStatus, ImportSource


class ImportRunFilterSet(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=ImportSource.choices)
    status = django_filters.ChoiceFilter(choices=ImportRunStatus.choices)

    class Meta:
        model = ImportRun
        fields = ["source", "status"]
