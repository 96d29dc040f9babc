"""The query parameters of the governance reports (the answers are the reports' own dicts)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from steward.core.api.serializers import StewardSerializer
from steward.governance.services import kpis, variants


class PeriodSerializer(StewardSerializer):
    since = serializers.DateField(help_text="First day (inclusive).")
    until = serializers.DateField(help_text="Last day (inclusive).")
    kind = serializers.CharField(default="incident", help_text="Ticket kind: incident, problem.")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs["until"] < attrs["since"]:
            raise serializers.ValidationError({"until": "The end is before the start."})
        return attrs


class KpiQuerySerializer(PeriodSerializer):
    group_by = serializers.ChoiceField(
        choices=kpis.GROUPS, required=False, allow_blank=True, default=""
    )


class VariantQuerySerializer(PeriodSerializer):
    limit = serializers.IntegerField(min_value=1, max_value=200, default=variants.LIMIT)
