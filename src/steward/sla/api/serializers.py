"""API representations of calendars, agreements, targets and clocks. No rules here."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from steward.accounts.models import Organisation, Team
from steward.cmdb.models import ConfigurationItem
from steward.core.api.serializers import ScopedPrimaryKeyRelatedField, StewardModelSerializer
from steward.sla.models import Agreement, BusinessCalendar, SlaClock, Target


class BusinessCalendarSerializer(StewardModelSerializer):
    hours = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text='Weekday ("0" = Monday) to ranges like "08:00-12:00".',
    )
    closures = serializers.ListField(child=serializers.DateField(), required=False)

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "time_zone",
            "hours",
            "holiday_country",
            "holiday_subdivision",
            "closures",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        if "closures" in values:
            values["closures"] = [day.isoformat() for day in values["closures"]]
        return values


class AgreementSerializer(StewardModelSerializer):
    customer = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    supplier = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    calendar = ScopedPrimaryKeyRelatedField(queryset=BusinessCalendar.objects.all())
    services = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    supports = ScopedPrimaryKeyRelatedField(
        queryset=Agreement.objects.all(), many=True, required=False
    )

    class Meta:
        model = Agreement
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "customer",
            "team",
            "supplier",
            "services",
            "calendar",
            "supports",
            "valid_from",
            "valid_until",
            "change_policy",
            "description",
            "is_active",
            "version",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["version", "created_at", "updated_at"]


class TargetSerializer(StewardModelSerializer):
    agreement = ScopedPrimaryKeyRelatedField(queryset=Agreement.objects.all())
    start_states = serializers.ListField(child=serializers.CharField(), required=False)
    pause_states = serializers.ListField(child=serializers.CharField(), required=False)
    stop_states = serializers.ListField(child=serializers.CharField(), required=False)
    cancel_states = serializers.ListField(child=serializers.CharField(), required=False)
    warning_thresholds = serializers.ListField(child=serializers.IntegerField(), required=False)
    warning_actions = serializers.ListField(child=serializers.CharField(), required=False)
    breach_actions = serializers.ListField(child=serializers.CharField(), required=False)
    duration = serializers.IntegerField(help_text="More than zero, in ``unit``.")
    name = serializers.CharField(
        max_length=120, required=False, allow_blank=True, help_text="Default: the metric."
    )
    category = serializers.CharField(max_length=50, required=False, allow_blank=True)

    class Meta:
        model = Target
        fields = [
            "id",
            "agreement",
            "name",
            "metric",
            "ticket_kind",
            "priority",
            "category",
            "duration",
            "unit",
            "start_states",
            "pause_states",
            "stop_states",
            "cancel_states",
            "warning_thresholds",
            "warning_actions",
            "breach_actions",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators: list[Any] = []  # uniqueness and contradictions are the service's to judge


class TargetUpdateSerializer(TargetSerializer):
    """A target stays with its agreement."""

    class Meta(TargetSerializer.Meta):
        read_only_fields = [*TargetSerializer.Meta.read_only_fields, "agreement"]


class SlaClockSerializer(StewardModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)
    target_name = serializers.CharField(source="target.name", read_only=True)
    elapsed_minutes = serializers.SerializerMethodField()
    paused_minutes = serializers.SerializerMethodField()

    class Meta:
        model = SlaClock
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "target",
            "target_name",
            "agreement",
            "state",
            "origin",
            "attached_at",
            "started_at",
            "stopped_at",
            "measured_at",
            "elapsed_minutes",
            "paused_minutes",
            "due_at",
            "next_check_at",
            "last_threshold",
            "is_warned",
            "is_breached",
            "at_risk_from",
            "paused_intervals",
            "notes",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.IntegerField())
    def get_elapsed_minutes(self, clock: SlaClock) -> int:
        """Business minutes counted as of ``measured_at``."""
        return int(clock.elapsed.total_seconds() // 60)

    @extend_schema_field(serializers.IntegerField())
    def get_paused_minutes(self, clock: SlaClock) -> int:
        return int(clock.paused.total_seconds() // 60)


class ExplanationSerializer(serializers.Serializer[Any]):
    """Why a clock's due time is what it is."""

    target = serializers.CharField()
    agreement = serializers.CharField()
    duration = serializers.CharField()
    length_minutes = serializers.IntegerField()
    calendar = serializers.DictField()
    origin = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    policy = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField())
    at_risk_from = serializers.ListField(child=serializers.CharField())
    paused_intervals = serializers.ListField(child=serializers.ListField())
    paused_minutes = serializers.IntegerField()
    elapsed_minutes = serializers.IntegerField()
    holidays_skipped = serializers.ListField(child=serializers.DictField())
    due_at = serializers.DateTimeField(allow_null=True)
    state = serializers.CharField()
    lines = serializers.ListField(child=serializers.CharField())


class ReplaySerializer(serializers.Serializer[Any]):
    target_id = serializers.IntegerField()
    target = serializers.CharField()
    agrees = serializers.BooleanField()
    differences = serializers.DictField()
    replayed = serializers.DictField()


class ComplianceQuerySerializer(serializers.Serializer[Any]):
    since = serializers.DateField(help_text="First day (inclusive).")
    until = serializers.DateField(help_text="Last day (inclusive).")
    split = serializers.MultipleChoiceField(
        choices=["service", "customer"], required=False, help_text="Also split by these."
    )
    agreement = serializers.IntegerField(required=False)


class ComplianceRowSerializer(serializers.Serializer[Any]):
    agreement = serializers.CharField()
    agreement_code = serializers.CharField()
    metric = serializers.CharField()
    priority = serializers.IntegerField()
    month = serializers.DateField()
    service = serializers.CharField()
    customer = serializers.CharField()
    met = serializers.IntegerField()
    breached = serializers.IntegerField()
    met_share = serializers.FloatField(allow_null=True)
    average_minutes = serializers.IntegerField(allow_null=True)
    median_minutes = serializers.IntegerField(
        allow_null=True, help_text="Elapsed business minutes half the clocks did not exceed."
    )
    p90_minutes = serializers.IntegerField(
        allow_null=True, help_text="Elapsed business minutes 9 in 10 clocks did not exceed."
    )


class BreachQuerySerializer(serializers.Serializer[Any]):
    since = serializers.DateField(help_text="First day (inclusive).")
    until = serializers.DateField(help_text="Last day (inclusive).")


class BreachSerializer(serializers.Serializer[Any]):
    clock = serializers.IntegerField()
    ticket = serializers.CharField()
    agreement = serializers.CharField()
    target = serializers.CharField()
    priority = serializers.IntegerField()
    stopped_at = serializers.DateTimeField()
    over_minutes = serializers.IntegerField()
    paused_minutes = serializers.IntegerField()
    reason = serializers.CharField()
