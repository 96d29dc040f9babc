"""Import runs as the API shows them (read-only: an import is started from the CLI)."""

from __future__ import annotations

from rest_framework import serializers

from steward.interop.models import ImportRun


class UnmappedValueSerializer(serializers.Serializer[dict[str, object]]):
    column = serializers.CharField()
    value = serializers.CharField()
    count = serializers.IntegerField()
    first_line = serializers.IntegerField(allow_null=True)


class LineNoteSerializer(serializers.Serializer[dict[str, object]]):
    line = serializers.IntegerField(allow_null=True)
    case = serializers.CharField(allow_blank=True)
    message = serializers.CharField()


class ImportSummarySerializer(serializers.Serializer[dict[str, object]]):
    """What a run did: counts by name, unmapped values, errors and warnings with lines."""

    counts = serializers.DictField(child=serializers.IntegerField())
    unmapped = UnmappedValueSerializer(many=True)
    errors = LineNoteSerializer(many=True)  # type: ignore[assignment]  # a field, popped by DRF
    warnings = LineNoteSerializer(many=True)

    def to_representation(self, instance: dict[str, object]) -> dict[str, object]:
        filled = {"counts": {}, "unmapped": [], "errors": [], "warnings": [], **instance}
        return dict(super().to_representation(filled))


class ImportRunSerializer(serializers.ModelSerializer[ImportRun]):
    summary = ImportSummarySerializer(read_only=True)

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
            "summary",
        ]
        read_only_fields = fields
