"""The schedule's REST API: maintenance and blackout windows, the conflict policy, a
change's conflicts (``/api/v1/changes/{id}/conflicts/``: GET checks, POST checks and, with
a reason, overrides), and the calendar feed URL. Views translate; services decide."""

from __future__ import annotations

from typing import Any

from django.urls import path, reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter
from rest_framework.views import APIView

from steward.accounts.models import actor_of
from steward.changes import conflicts
from steward.changes.models import Change
from steward.changes.models_schedule import (
    MAX_HOPS,
    BlackoutWindow,
    ConflictAction,
    ConflictKind,
    MaintenanceWindow,
    WindowKind,
)
from steward.changes.schedule import services
from steward.changes.schedule.filters import BlackoutWindowFilterSet, MaintenanceWindowFilterSet
from steward.cmdb.models import ConfigurationItem
from steward.core import conf, policy
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)
from steward.core.api.viewsets import CreateMixin, DestroyMixin, StewardViewSet, UpdateMixin
from steward.core.errors import Forbidden

# --- windows -----------------------------------------------------------------------------


class MaintenanceWindowSerializer(StewardModelSerializer):
    configuration_item = ScopedPrimaryKeyRelatedField(queryset=ConfigurationItem.objects.all())
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        help_text="Weekly: days, 0 = Monday .. 6 = Sunday.",
    )
    summary = serializers.CharField(source="describe", read_only=True)

    class Meta:
        model = MaintenanceWindow
        fields = [
            "id",
            "name",
            "configuration_item",
            "kind",
            "weekdays",
            "start_time",
            "end_time",
            "time_zone",
            "starts_at",
            "ends_at",
            "description",
            "summary",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "summary", "created_at", "updated_at"]


class BlackoutWindowSerializer(StewardModelSerializer):
    service = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = BlackoutWindow
        fields = [
            "id",
            "name",
            "service",
            "starts_at",
            "ends_at",
            "policy",
            "reason",
            "created_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_by", "created_at", "updated_at"]

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs  # the service checks the period and overlaps (the one place they live)


class MaintenanceWindowViewSet(CreateMixin, UpdateMixin, DestroyMixin, StewardViewSet):
    """When CIs and services may be changed (change managers write; staff read)."""

    queryset = MaintenanceWindow.objects.select_related("configuration_item")
    serializer_class = MaintenanceWindowSerializer
    filterset_class = MaintenanceWindowFilterSet
    ordering_fields = ["id", "name", "created_at"]

    def perform_create(self, serializer: Any) -> MaintenanceWindow:
        return services.create_maintenance_window(
            actor=actor_of(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> MaintenanceWindow:
        return services.update_maintenance_window(
            actor=actor_of(self.request), window=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: MaintenanceWindow) -> None:
        services.delete_maintenance_window(actor=actor_of(self.request), window=instance)


class BlackoutWindowViewSet(CreateMixin, UpdateMixin, DestroyMixin, StewardViewSet):
    """Change freezes, for every change or one service (change managers write)."""

    queryset = BlackoutWindow.objects.select_related("service")
    serializer_class = BlackoutWindowSerializer
    filterset_class = BlackoutWindowFilterSet
    ordering_fields = ["id", "starts_at", "ends_at"]

    def perform_create(self, serializer: Any) -> BlackoutWindow:
        return services.create_blackout(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> BlackoutWindow:
        return services.update_blackout(
            actor=actor_of(self.request), blackout=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance: BlackoutWindow) -> None:
        services.delete_blackout(actor=actor_of(self.request), blackout=instance)


# --- the policy --------------------------------------------------------------------------


class SchedulePolicySerializer(StewardSerializer):
    same_ci = serializers.ChoiceField(choices=ConflictAction.choices, required=False)
    related_ci = serializers.ChoiceField(choices=ConflictAction.choices, required=False)
    outside_window = serializers.ChoiceField(choices=ConflictAction.choices, required=False)
    hops = serializers.IntegerField(min_value=1, max_value=MAX_HOPS, required=False)


def _policy_body() -> dict[str, Any]:
    current = conflicts.current_policy()
    return {name: getattr(current, name) for name in services.POLICY_FIELDS}


class SchedulePolicyView(APIView):
    """Warn or block per conflict kind, and the CMDB hops searched. Change managers PATCH."""

    @extend_schema(responses=SchedulePolicySerializer)
    def get(self, request: Request) -> Response:
        policy.require_model(request.user, Change, "view")
        return Response(_policy_body())

    @extend_schema(request=SchedulePolicySerializer, responses=SchedulePolicySerializer)
    def patch(self, request: Request) -> Response:
        policy.require_model(request.user, Change, "view")
        body = SchedulePolicySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.update_schedule_policy(actor=actor_of(request), **body.validated_data)
        return Response(_policy_body())


# --- conflicts ---------------------------------------------------------------------------


class StepSerializer(serializers.Serializer[Any]):
    ci_id = serializers.IntegerField()
    ci_name = serializers.CharField()
    relation = serializers.CharField()
    forward = serializers.BooleanField(help_text="True: previous CI -relation-> this CI.")


class ConflictSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    kind = serializers.ChoiceField(choices=ConflictKind.choices)
    action = serializers.ChoiceField(choices=ConflictAction.choices)
    blocks = serializers.BooleanField()
    overridden = serializers.BooleanField()
    message = serializers.CharField()
    ci_id = serializers.IntegerField(allow_null=True)
    ci_name = serializers.CharField()
    start_ci_id = serializers.IntegerField(allow_null=True)
    start_ci_name = serializers.CharField()
    path = StepSerializer(many=True)
    path_text = serializers.CharField()
    change_id = serializers.IntegerField(allow_null=True)
    change_number = serializers.CharField()
    change_title = serializers.CharField()
    change_start = serializers.DateTimeField(allow_null=True)
    change_end = serializers.DateTimeField(allow_null=True)
    blackout_id = serializers.IntegerField(allow_null=True)
    window_ids = serializers.ListField(child=serializers.IntegerField())


class ConflictReportSerializer(serializers.Serializer[Any]):
    planned_start = serializers.DateTimeField()
    planned_end = serializers.DateTimeField()
    hops = serializers.IntegerField()
    blocking = serializers.IntegerField()
    conflicts = ConflictSerializer(many=True)


class ConflictCheckSerializer(StewardSerializer):
    planned_start = serializers.DateTimeField(required=False)
    planned_end = serializers.DateTimeField(required=False)
    cis = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Default: the change's CIs."
    )
    hops = serializers.IntegerField(min_value=1, max_value=MAX_HOPS, required=False)
    override_reason = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        return attrs


def _period(change: Change, data: dict[str, Any]) -> tuple[Any, Any]:
    start = data.get("planned_start") or change.planned_start
    end = data.get("planned_end") or change.planned_end
    if start is None or end is None:
        raise serializers.ValidationError(
            {"planned_start": ["Give a planned start and end (the change has none yet)."]}
        )
    return start, end


def _visible_cis(user: Any, ids: list[int] | None) -> list[int] | None:
    if ids is None:
        return None
    found = set(
        ConfigurationItem.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)
    )
    unknown = [pk for pk in ids if pk not in found]
    if unknown:
        raise serializers.ValidationError({"cis": [f"Unknown CIs: {unknown}."]})
    return ids


def _report(found: list[conflicts.ScheduleConflict], start: Any, end: Any, hops: int) -> Any:
    return {
        "planned_start": start,
        "planned_end": end,
        "hops": hops,
        "blocking": sum(1 for c in found if c.blocks),
        "conflicts": [c.as_dict() | {"key": c.key} for c in found],
    }


class ChangeConflictsView(APIView):
    """A change's schedule conflicts. GET checks its planned period (or ``planned_start``/
    ``planned_end``/``cis``/``hops`` given as query parameters) and writes nothing; POST
    checks a period before scheduling it and, with ``override_reason``, records the
    override of its blocking conflicts (needs ``changes.add_conflictoverride``). Blocking
    conflicts without a reason answer 400 with the conflicts named."""

    def _change(self, request: Request, pk: int) -> Change:
        change: Change = policy.get_for(request.user, Change.objects.all(), pk)
        return change

    @extend_schema(
        parameters=[
            OpenApiParameter("planned_start", str, description="ISO 8601 with zone"),
            OpenApiParameter("planned_end", str, description="ISO 8601 with zone"),
            OpenApiParameter("cis", str, description="Comma-separated CI ids"),
            OpenApiParameter("hops", int),
        ],
        responses=ConflictReportSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        change = self._change(request, pk)
        query = request.query_params.copy()
        raw_cis = query.pop("cis", None)
        body = ConflictCheckSerializer(data=query.dict())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        ids = None
        if raw_cis:
            try:
                ids = [int(part) for part in raw_cis[-1].split(",") if part.strip()]
            except ValueError as exc:
                raise serializers.ValidationError(
                    {"cis": ["Give CI ids, comma-separated."]}
                ) from exc
        start, end = _period(change, data)
        hops = data.get("hops") or conflicts.current_policy().hops
        found = conflicts.evaluate(change, start, end, _visible_cis(request.user, ids), hops)
        return Response(ConflictReportSerializer(_report(found, start, end, hops)).data)

    @extend_schema(request=ConflictCheckSerializer, responses=ConflictReportSerializer)
    def post(self, request: Request, pk: int) -> Response:
        change = self._change(request, pk)
        actor = actor_of(request)
        if not policy.can(actor, "change", change):
            raise Forbidden("You may not schedule this change.")
        body = ConflictCheckSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if "hops" in data:
            raise serializers.ValidationError({"hops": ["Scheduling uses the policy's hops."]})
        start, end = _period(change, data)
        found = conflicts.check_schedule(
            actor=actor,
            change=change,
            start=start,
            end=end,
            ci_ids=_visible_cis(actor, data.get("cis")),
            override_reason=data.get("override_reason", ""),
        )
        hops = conflicts.current_policy().hops
        return Response(ConflictReportSerializer(_report(found, start, end, hops)).data)


# --- the calendar feed -------------------------------------------------------------------


class FeedSerializer(serializers.Serializer[Any]):
    url = serializers.URLField()


def _feed_url(token: str) -> str:
    return str(conf.get("PUBLIC_URL")).rstrip("/") + reverse(
        "change_schedule:calendar_feed", args=[token]
    )


class CalendarFeedView(APIView):
    """Your change calendar's iCalendar URL (it signs you in: keep it private). POST makes a
    new one; every earlier URL stops working."""

    @extend_schema(responses=FeedSerializer)
    def get(self, request: Request) -> Response:
        policy.require_model(request.user, Change, "view")
        return Response({"url": _feed_url(services.feed_token(actor_of(request)))})

    @extend_schema(request=None, responses=FeedSerializer)
    def post(self, request: Request) -> Response:
        policy.require_model(request.user, Change, "view")
        return Response({"url": _feed_url(services.reset_feed_token(actor=actor_of(request)))})


def register(router: BaseRouter) -> None:
    router.register(
        "change-maintenance-windows", MaintenanceWindowViewSet, basename="maintenance-window"
    )
    router.register("change-blackouts", BlackoutWindowViewSet, basename="blackout-window")


#: Paths beside the router's (``config/api_urls.py`` mounts them).
urlpatterns = [
    path("changes/<int:pk>/conflicts/", ChangeConflictsView.as_view(), name="change-conflicts"),
    path("change-schedule-policy/", SchedulePolicyView.as_view(), name="change-schedule-policy"),
    path("change-calendar-feed/", CalendarFeedView.as_view(), name="change-calendar-feed"),
]

__all__ = ["WindowKind", "register", "urlpatterns"]
