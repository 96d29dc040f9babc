"""API representations of incidents, categories and assignment rules. No rules here."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)
from steward.incidents.models import AssignmentRule, Category, Incident
from steward.tickets.api.serializers import TicketSerializer

INCIDENT_FIELDS = [
    "category",
    "subcategory",
    "contact_type",
    "hold_reason",
    "resolution_code",
    "reopen_count",
    "reassignment_count",
    "auto_close_at",
]


class IncidentSerializer(TicketSerializer):
    category = ScopedPrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    subcategory = ScopedPrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )

    class Meta(TicketSerializer.Meta):
        model = Incident
        fields = [*TicketSerializer.Meta.fields, *INCIDENT_FIELDS]
        read_only_fields = [
            *TicketSerializer.Meta.read_only_fields,
            "hold_reason",
            "resolution_code",
            "reopen_count",
            "reassignment_count",
            "auto_close_at",
        ]


class ReassignSerializer(StewardSerializer):
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all(), allow_null=True)
    assignee = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False, default=None
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 412."
    )


class EscalateSerializer(StewardSerializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 412."
    )


class CategorySerializer(StewardModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Category.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Category
        fields = ["id", "name", "code", "parent", "description", "is_active"]
        read_only_fields = ["id"]
        validators: list[Any] = []  # unique names among siblings: the service checks


class AssignmentRuleSerializer(StewardModelSerializer):
    category = ScopedPrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    service = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )
    configuration_item = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )
    organisation = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    team = ScopedPrimaryKeyRelatedField(queryset=Team.objects.all())

    class Meta:
        model = AssignmentRule
        fields = [
            "id",
            "name",
            "order",
            "is_active",
            "category",
            "service",
            "configuration_item",
            "organisation",
            "contact_type",
            "team",
            "method",
            "last_assignee",
        ]
        read_only_fields = ["id", "last_assignee"]
