"""API endpoints of service level management.

Clocks are read-only: they follow their tickets. ``explain`` says why a clock's due time is
what it is; ``replay`` rebuilds a ticket's clocks from its audit history beside the live ones.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.api.viewsets import CreateMixin, DestroyMixin, StewardViewSet, UpdateMixin
from steward.sla import services
from steward.sla.api import serializers as s
from steward.sla.filters import (
    AgreementFilterSet,
    BusinessCalendarFilterSet,
    SlaClockFilterSet,
    TargetFilterSet,
)
from steward.sla.models import Agreement, BusinessCalendar, SlaClock, Target


class BusinessCalendarViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Business calendars: working hours, time zone, holidays and closure days."""

    queryset = BusinessCalendar.objects.all()
    serializer_class = s.BusinessCalendarSerializer
    filterset_class = BusinessCalendarFilterSet
    ordering_fields = ["id", "name"]

    def perform_create(self, serializer: Any) -> BusinessCalendar:
        return services.create_calendar(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> BusinessCalendar:
        return services.update_calendar(
            actor=actor_of(self.request), calendar=serializer.instance, **serializer.validated_data
        )


class AgreementViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """SLAs, OLAs and underpinning contracts."""

    queryset = Agreement.objects.select_related("calendar").prefetch_related("services", "supports")
    serializer_class = s.AgreementSerializer
    filterset_class = AgreementFilterSet
    ordering_fields = ["id", "name", "code", "valid_from"]

    def perform_create(self, serializer: Any) -> Agreement:
        return services.create_agreement(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> Agreement:
        return services.update_agreement(
            actor=actor_of(self.request),
            agreement=serializer.instance,
            expected_version=serializer.instance.version,
            **serializer.validated_data,
        )


class TargetViewSet(CreateMixin, UpdateMixin, DestroyMixin, StewardViewSet):
    """Targets of agreements, by ticket kind and priority (and optionally category)."""

    queryset = Target.objects.select_related("agreement")
    serializer_class = s.TargetSerializer
    filterset_class = TargetFilterSet
    ordering_fields = ["id", "priority", "duration"]

    def get_serializer_class(self) -> Any:
        if self.action in ("update", "partial_update"):
            return s.TargetUpdateSerializer
        return s.TargetSerializer

    def perform_create(self, serializer: Any) -> Target:
        values = dict(serializer.validated_data)
        agreement = values.pop("agreement")
        return services.create_target(actor=actor_of(self.request), agreement=agreement, **values)

    def perform_update(self, serializer: Any) -> Target:
        return services.update_target(
            actor=actor_of(self.request), target=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: Target) -> None:
        services.delete_target(actor=actor_of(self.request), target=instance)


class SlaClockViewSet(StewardViewSet):
    """Service level clocks of tickets (read-only: they follow their tickets)."""

    queryset = SlaClock.objects.select_related("ticket", "target")
    serializer_class = s.SlaClockSerializer
    filterset_class = SlaClockFilterSet
    ordering_fields = ["id", "due_at", "measured_at"]

    @extend_schema(responses=s.ExplanationSerializer)
    @action(detail=True, methods=["get"], filter_backends=[])
    def explain(self, request: Request, pk: str | None = None) -> Response:
        """Why the clock's due time is what it is."""
        clock = self.get_object()
        clock = SlaClock.objects.select_related("target", "agreement__calendar").get(pk=clock.pk)
        return Response(s.ExplanationSerializer(services.explain(clock)).data)

    @extend_schema(responses=s.ReplaySerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[])
    def replay(self, request: Request, pk: str | None = None) -> Response:
        """Every clock of this clock's ticket rebuilt from the audit history, beside the live."""
        clock = self.get_object()
        replayed = services.replay(actor=actor_of(request), ticket=clock.ticket)
        rows = [
            {
                "target_id": r.target_id,
                "target": r.target,
                "agrees": r.agrees,
                "differences": r.differences,
                "replayed": r.replayed,
            }
            for r in replayed
        ]
        return Response(s.ReplaySerializer(rows, many=True).data)


class ComplianceView(APIView):
    """Met and breached clocks per agreement, metric, priority and month (optionally per
    service and customer) of the clocks that ended in a period."""

    @extend_schema(
        parameters=[s.ComplianceQuerySerializer], responses=s.ComplianceRowSerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        from steward.sla.services import reports

        if not policy.has_model_permission(request.user, SlaClock, "view"):
            raise PermissionDenied()
        query = s.ComplianceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data["until"] < data["since"]:
            raise ValidationError({"until": ["The end is before the start."]})
        since, until = reports.day_range(data["since"], data["until"])
        rows = reports.compliance(
            actor=actor_of(request),
            since=since,
            until=until,
            split=sorted(data.get("split", [])),
            agreement=data.get("agreement"),
        )
        return Response(s.ComplianceRowSerializer([r.as_dict() for r in rows], many=True).data)


class BreachListView(APIView):
    """The clocks that ended breached in a period, latest first (at most 200), with why."""

    @extend_schema(parameters=[s.BreachQuerySerializer], responses=s.BreachSerializer(many=True))
    def get(self, request: Request) -> Response:
        from steward.sla.services import reports

        if not policy.has_model_permission(request.user, SlaClock, "view"):
            raise PermissionDenied()
        query = s.BreachQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data["until"] < data["since"]:
            raise ValidationError({"until": ["The end is before the start."]})
        since, until = reports.day_range(data["since"], data["until"])
        found = reports.breaches(actor=actor_of(request), since=since, until=until)
        return Response(s.BreachSerializer([b.as_dict() for b in found], many=True).data)
