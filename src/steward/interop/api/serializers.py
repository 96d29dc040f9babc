"""Import runs as the API shows them (read-only: an import is started from the CLI)."""

from __future__ import annotations

from rest_framework import serializers

from steward.interop.models import ImportRun


class ImportRunSerializer(serializers.ModelSerializer[ImportRun]):
    counts = serializers.DictField(child=serializers.IntegerField(), read_only=True)
    unmapped = serializers.ListField(child=serializers.DictField(), read_only=True)
    errors = serializers.ListField(child=serializers.DictField(), read_only=True)
    warnings = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = [
            "id",
            "source",
            "path",
            "checksum",
            "status",
            "time_zone",
            "started_at",
            "updated_at",
            "finished_at",
            "cases_committed",
            "last_case",
            "resumed",
            "counts",
            "unmapped",
            "errors",
            "warnings",
        ]
        read_only_fields = fields

    def get_warnings(self, run: ImportRun) -> list[dict[str, object]]:
        value = run.summary.get("warnings", [])
        return value if isinstance(value, list) else []
