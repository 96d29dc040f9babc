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
from steward.incidents.choices import (
    InteractionChannel,
    MajorIncidentAudience,
    ReviewStatus,
)
from steward.incidents.models import (
    AssignmentRule,
    Category,
    Incident,
    Interaction,
    MajorIncidentUpdate,
    PostIncidentReview,
    ReviewAction,
)
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
    "is_major",
    "major_declared_at",
    "major_declared_by",
    "major_manager",
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
            "resolution_code",
            "reopen_count",
            "reassignment_count",
            "auto_close_at",
            "is_major",
            "major_declared_at",
            "major_declared_by",
            "major_manager",
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


# --- major incidents --------------------------------------------------------------------------


class DeclareMajorSerializer(StewardSerializer):
    manager = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    reason = serializers.CharField()


class StandDownSerializer(StewardSerializer):
    reason = serializers.CharField()


class AttachChildrenSerializer(StewardSerializer):
    children = serializers.ListField(
        child=ScopedPrimaryKeyRelatedField(queryset=Incident.objects.all()),
        allow_empty=False,
        help_text="Ids of the incidents to attach (all of them, or none).",
    )


class MajorIncidentUpdateSerializer(StewardModelSerializer):
    incident = ScopedPrimaryKeyRelatedField(queryset=Incident.objects.all())
    audience = serializers.ChoiceField(choices=MajorIncidentAudience.choices)

    class Meta:
        model = MajorIncidentUpdate
        fields = ["id", "incident", "audience", "author", "body", "comment", "created_at"]
        read_only_fields = ["id", "author", "comment", "created_at"]


class ReviewActionSerializer(StewardModelSerializer):
    review = ScopedPrimaryKeyRelatedField(queryset=PostIncidentReview.objects.all())
    owner = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = ReviewAction
        fields = ["id", "review", "description", "owner", "due_on", "is_done", "done_at"]
        read_only_fields = ["id", "done_at"]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:  # an action stays with its review
            fields["review"].read_only = True
        return fields


class PostIncidentReviewSerializer(StewardModelSerializer):
    incident = ScopedPrimaryKeyRelatedField(queryset=Incident.objects.all())
    actions = serializers.SerializerMethodField()

    class Meta:
        model = PostIncidentReview
        fields = [
            "id",
            "incident",
            "status",
            "summary",
            "timeline",
            "root_cause",
            "went_well",
            "went_badly",
            "lessons",
            "created_by",
            "created_at",
            "updated_at",
            "completed_at",
            "actions",
        ]
        read_only_fields = [
            "id",
            "status",
            "created_by",
            "created_at",
            "updated_at",
            "completed_at",
            "actions",
        ]

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        if self.instance is not None:
            fields["incident"].read_only = True
        return fields

    def get_actions(self, review: PostIncidentReview) -> list[int]:
        return [action.pk for action in review.actions.all()]


class MoveReviewSerializer(StewardSerializer):
    status = serializers.ChoiceField(choices=ReviewStatus.choices)


# --- interactions -----------------------------------------------------------------------------


class InteractionSerializer(StewardModelSerializer):
    caller = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())
    team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    channel = serializers.ChoiceField(choices=InteractionChannel.choices)

    class Meta:
        model = Interaction
        fields = [
            "id",
            "number",
            "channel",
            "caller",
            "agent",
            "organisation",
            "team",
            "summary",
            "notes",
            "resolution",
            "started_at",
            "ended_at",
            "outcome",
            "incident",
        ]
        read_only_fields = [
            "id",
            "number",
            "agent",
            "organisation",
            "resolution",
            "ended_at",
            "outcome",
            "incident",
        ]


class ResolveInteractionSerializer(StewardSerializer):
    resolution = serializers.CharField()


class RaiseIncidentSerializer(StewardSerializer):
    title = serializers.CharField(required=False, allow_blank=True, default="")
    category = ScopedPrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    subcategory = ScopedPrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    service = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )
    configuration_item = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )
    impact = serializers.IntegerField(required=False, min_value=1, max_value=3)
    urgency = serializers.IntegerField(required=False, min_value=1, max_value=3)


class LinkInteractionSerializer(StewardSerializer):
    incident = ScopedPrimaryKeyRelatedField(queryset=Incident.objects.all())


class AbandonInteractionSerializer(StewardSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class FirstContactResolutionQuerySerializer(StewardSerializer):
    since = serializers.DateField(help_text="First day (inclusive).")
    until = serializers.DateField(help_text="Last day (inclusive).")
    team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )


class FirstContactResolutionSerializer(serializers.Serializer):
    """The report's figures (rates are shares from 0 to 1; null when nothing was counted)."""

    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    team = serializers.IntegerField(allow_null=True)
    interactions_ended = serializers.IntegerField()
    interactions_handled = serializers.IntegerField(
        help_text="Resolved on first contact plus linked to incidents (abandoned left out)."
    )
    interactions_resolved_on_first_contact = serializers.IntegerField()
    interactions_linked_to_incidents = serializers.IntegerField()
    interactions_abandoned = serializers.IntegerField()
    interaction_rate = serializers.FloatField(allow_null=True)
    incidents_resolved = serializers.IntegerField()
    incidents_resolved_by_first_team = serializers.IntegerField()
    incident_rate = serializers.FloatField(allow_null=True)
