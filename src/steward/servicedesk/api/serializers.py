"""API representation of satisfaction ratings. Serializers hold no rules."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from steward.core.api.serializers import ScopedPrimaryKeyRelatedField, StewardModelSerializer
from steward.servicedesk.models.satisfaction import SatisfactionRating
from steward.tickets.models import Ticket


class SatisfactionRatingSerializer(StewardModelSerializer):
    ticket = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())
    ticket_number: serializers.Field[Any, Any, Any, Any] = serializers.CharField(
        source="ticket.number", read_only=True
    )
    rated_by: serializers.Field[Any, Any, Any, Any] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )

    class Meta:
        model = SatisfactionRating
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "score",
            "comment",
            "rated_by",
            "rated_at",
            "updated_at",
        ]
        read_only_fields = ["id", "ticket_number", "rated_by", "rated_at", "updated_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None and not isinstance(self.instance, list):
            fields["ticket"].read_only = True  # a rating stays with its ticket
        return fields
