"""``/api/v1/import-runs/``: the import runs and their summaries, read-only."""

from __future__ import annotations

from steward.core.api.viewsets import StewardViewSet
from steward.interop.api.serializers import ImportRunSerializer
from steward.interop.filters import ImportRunFilterSet
from steward.interop.models import ImportRun


class ImportRunViewSet(StewardViewSet):
    """Import runs (``steward import``): counts, unmapped values, errors with line numbers."""

    queryset = ImportRun.objects.all()
    serializer_class = ImportRunSerializer
    filterset_class = ImportRunFilterSet
    ordering_fields = ["id", "started_at"]
    ordering = ("-started_at", "-id")
