"""API endpoint for satisfaction ratings.

A requester creates (or changes) the rating of their own resolved ticket and reads their own;
staff with the service desk's permissions read those within the organisations they serve.
"""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request

from steward.accounts.models import actor_of
from steward.core.api.viewsets import CreateMixin, StewardViewSet, UpdateMixin
from steward.servicedesk import satisfaction
from steward.servicedesk.api import serializers as s
from steward.servicedesk.filters import SatisfactionRatingFilterSet
from steward.servicedesk.models.satisfaction import SatisfactionRating
from steward.tickets.models import Ticket


class SatisfactionRatingViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Ratings (1-5 and a comment), one per ticket; posting again changes it."""

    queryset = SatisfactionRating.objects.select_related("ticket")
    serializer_class = s.SatisfactionRatingSerializer
    filterset_class = SatisfactionRatingFilterSet
    ordering_fields = ["id", "rated_at", "updated_at", "score"]

    def may_create(self, request: Request) -> bool:
        """Only the requester of a ticket they can see (checked again by the service)."""
        user = request.user
        data: Any = request.data
        raw = data.get("ticket") if hasattr(data, "get") else None
        try:
            ticket = Ticket.objects.visible_to(user).get(pk=int(str(raw)))
        except (Ticket.DoesNotExist, TypeError, ValueError):
            return False
        return bool(ticket.requester_id == getattr(user, "pk", None))

    def perform_create(self, serializer: Any) -> SatisfactionRating:
        data = serializer.validated_data
        return satisfaction.rate(
            actor=actor_of(self.request),
            ticket=data["ticket"],
            score=data["score"],
            comment=data.get("comment", ""),
        )

    def perform_update(self, serializer: Any) -> SatisfactionRating:
        rating: SatisfactionRating = serializer.instance
        data = serializer.validated_data
        return satisfaction.rate(
            actor=actor_of(self.request),
            ticket=rating.ticket,
            score=data.get("score", rating.score),
            comment=data.get("comment", rating.comment),
        )
