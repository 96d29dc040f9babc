"""API representations of tickets and what hangs off them. Serializers hold no rules."""

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
from steward.tickets.models import (
    Attachment,
    Comment,
    PriorityRule,
    Ticket,
    TicketLink,
    TimeEntry,
    Watcher,
)


class TicketSerializer(StewardModelSerializer):
    requester = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)
    organisation = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    assignee = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False
    )
    team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    service = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )
    configuration_item = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Ticket
        fields = [
            "id",
            "number",
            "kind",
            "title",
            "description",
            "resolution",
            "requester",
            "organisation",
            "assignee",
            "team",
            "service",
            "configuration_item",
            "impact",
            "urgency",
            "priority",
            "state",
            "state_category",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "id",
            "number",
            "kind",
            "resolution",
            "priority",
            "state",
            "state_category",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "updated_at",
            "version",
        ]


class PriorityRuleSerializer(StewardModelSerializer):
    class Meta:
        model = PriorityRule
        fields = ["id", "impact", "urgency", "priority"]
        read_only_fields = ["id", "impact", "urgency"]


class TransitionSerializer(StewardSerializer):
    to = serializers.CharField(max_length=32, help_text="The state to move to.")
    values = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 412."
    )


class AllowedTransitionSerializer(StewardSerializer):
    to = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]
    requires = serializers.ListField(child=serializers.CharField())
    fields = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]


class CommentSerializer(StewardModelSerializer):
    ticket = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())
    author: serializers.Field[Any, Any, Any, Any] = serializers.PrimaryKeyRelatedField(
        read_only=True
    )

    class Meta:
        model = Comment
        fields = ["id", "ticket", "author", "body", "is_public", "created_at"]
        read_only_fields = ["id", "author", "created_at"]


class PublicFlag(serializers.BooleanField):
    """``is_public`` that stays true when a multipart form leaves it out (DRF's boolean
    fields read a missing form field as false)."""

    default_empty_html = serializers.empty


class AttachmentSerializer(StewardModelSerializer):
    ticket = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())
    file = serializers.FileField(write_only=True)
    is_public = PublicFlag(required=False, default=True)
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Attachment
        fields = [
            "id",
            "ticket",
            "file",
            "filename",
            "content_type",
            "size",
            "sha256",
            "is_public",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]
        read_only_fields = [
            "id",
            "filename",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "download_url",
        ]

    def get_download_url(self, obj: Attachment) -> str:
        return obj.get_absolute_url()


class TicketLinkSerializer(StewardModelSerializer):
    source = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())  # type: ignore[assignment]
    target = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())

    class Meta:
        model = TicketLink
        fields = ["id", "source", "target", "link_type", "created_by", "created_at"]
        read_only_fields = ["id", "created_by", "created_at"]


class WatcherSerializer(StewardModelSerializer):
    ticket = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)

    class Meta:
        model = Watcher
        fields = ["id", "ticket", "person", "added_at"]
        read_only_fields = ["id", "added_at"]
        validators: list[Any] = []  # watching twice is harmless; the service keeps one row


class TimeEntrySerializer(StewardModelSerializer):
    ticket = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())

    class Meta:
        model = TimeEntry
        fields = ["id", "ticket", "person", "minutes", "spent_on", "billable", "note", "created_at"]
        read_only_fields = ["id", "person", "created_at"]
