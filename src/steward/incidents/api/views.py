"""API endpoints for incidents, their categories and assignment rules.

Incidents change state through ``/api/v1/tickets/{id}/transition/`` (they are tickets);
``escalate`` and ``reassign`` are incident actions of their own.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.api.viewsets import (
    CreateMixin,
    DestroyMixin,
    StewardViewSet,
    UpdateMixin,
    etag_for,
)
from steward.incidents import services
from steward.incidents.api import serializers as s
from steward.incidents.filters import (
    AssignmentRuleFilterSet,
    CategoryFilterSet,
    IncidentFilterSet,
)
from steward.incidents.models import AssignmentRule, Category, Incident
from steward.tickets import services as ticket_services


class IncidentViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Incidents. Team and assignee change through ``reassign`` and ``escalate``."""

    queryset = Incident.objects.all()
    serializer_class = s.IncidentSerializer
    filterset_class = IncidentFilterSet
    ordering_fields = ["id", "priority", "opened_at", "updated_at", "number"]

    def may_create(self, request: Request) -> bool:
        if not super().may_create(request):
            return False
        staff_only = ticket_services.STAFF_FIELDS - {"requester"}
        data: Any = request.data if hasattr(request.data, "keys") else {}
        asks_staff = bool(staff_only & set(data.keys())) or (
            "requester" in data and str(data.get("requester")) != str(request.user.pk)
        )
        return not asks_staff or policy.has_model_permission(request.user, Incident, "change")

    def perform_create(self, serializer: Any) -> Incident:
        return services.open_incident(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> Incident:
        return services.update_incident(
            actor=actor_of(self.request),
            incident=serializer.instance,
            expected_version=serializer.instance.version,
            **serializer.validated_data,
        )

    def _respond(self, incident: Incident) -> Response:
        payload = self.get_serializer(incident).data
        return Response(payload, headers={"ETag": etag_for(payload)})

    @extend_schema(request=s.ReassignSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def reassign(self, request: Request, pk: str | None = None) -> Response:
        """Give the incident to another team or person (counted and audited)."""
        incident = self.get_object()
        body = s.ReassignSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = body.validated_data
        incident = services.reassign(
            actor=actor_of(request),
            incident=incident,
            team=data["team"],
            assignee=data.get("assignee"),
            expected_version=data.get("version"),
        )
        return self._respond(incident)

    @extend_schema(request=s.EscalateSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def escalate(self, request: Request, pk: str | None = None) -> Response:
        """Hand the incident to the next support line."""
        incident = self.get_object()
        body = s.EscalateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = services.escalate(
            actor=actor_of(request),
            incident=incident,
            expected_version=body.validated_data.get("version"),
        )
        return self._respond(incident)


class CategoryViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """The category tree (two levels). Categories are deactivated, never deleted."""

    queryset = Category.objects.all()
    serializer_class = s.CategorySerializer
    filterset_class = CategoryFilterSet
    ordering_fields = ["id", "name", "code"]

    def perform_create(self, serializer: Any) -> Category:
        return services.create_category(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> Category:
        return services.update_category(
            actor=actor_of(self.request),
            category=serializer.instance,
            **serializer.validated_data,
        )


class AssignmentRuleViewSet(CreateMixin, UpdateMixin, DestroyMixin, StewardViewSet):
    """Rules routing new incidents to teams, first match by ``order``."""

    queryset = AssignmentRule.objects.all()
    serializer_class = s.AssignmentRuleSerializer
    filterset_class = AssignmentRuleFilterSet
    ordering_fields = ["id", "order", "name"]

    def perform_create(self, serializer: Any) -> AssignmentRule:
        return services.create_assignment_rule(
            actor=actor_of(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> AssignmentRule:
        return services.update_assignment_rule(
            actor=actor_of(self.request), rule=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: AssignmentRule) -> None:
        services.delete_assignment_rule(actor=actor_of(self.request), rule=instance)
