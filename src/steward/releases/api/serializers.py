"""API representations of releases, deployments and the definitive media library. No rules
here: the services decide."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from steward.changes.models import Change
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)
from steward.releases.choices import DeploymentState
from steward.releases.models import Deployment, DmlArtefact, DmlVerification, Release
from steward.tickets.api.serializers import TicketSerializer

RELEASE_FIELDS = [
    "release_version",
    "release_type",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "changes",
    "artefacts",
]


@extend_schema_serializer(component_name="ReleaseRecord")  # "Release" is a mail action's
class ReleaseSerializer(TicketSerializer):
    changes: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    artefacts: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        model = Release
        fields = [*TicketSerializer.Meta.fields, *RELEASE_FIELDS]
        read_only_fields = [
            *TicketSerializer.Meta.read_only_fields,
            "actual_start",
            "actual_end",
            "changes",
            "artefacts",
        ]


class VersionedSerializer(StewardSerializer):
    version = serializers.IntegerField(
        required=False, help_text="The version you read; a stale one answers 412."
    )


class ReleaseChangesSerializer(VersionedSerializer):
    changes = ScopedPrimaryKeyRelatedField(
        queryset=Change.objects.all(),
        many=True,
        help_text="Change ids; the list replaces the release's changes.",
    )


class ReleaseArtefactsSerializer(VersionedSerializer):
    artefacts = ScopedPrimaryKeyRelatedField(
        queryset=DmlArtefact.objects.all(),
        many=True,
        help_text="DML artefact ids; the list replaces the release's artefacts.",
    )


class DmlArtefactSerializer(StewardModelSerializer):
    file = serializers.FileField(
        write_only=True,
        required=False,
        help_text="On registration (multipart): the file, whose SHA-256 and size are computed "
        "as it streams in, in place of checksum and size_bytes.",
    )
    checksum = serializers.CharField(required=False, max_length=71, help_text="SHA-256, hex.")
    size_bytes = serializers.IntegerField(required=False, min_value=0)

    class Meta:
        model = DmlArtefact
        fields = [
            "id",
            "name",
            "artefact_version",
            "checksum",
            "size_bytes",
            "location",
            "licence",
            "description",
            "file",
            "state",
            "registered_by",
            "registered_at",
            "approved_by",
            "approved_at",
            "retired_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "state",
            "registered_by",
            "registered_at",
            "approved_by",
            "approved_at",
            "retired_at",
            "updated_at",
            "version",
        ]
        # (name, version) is checked by the service, with its own message.
        validators: list[Any] = []

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is None and "file" not in attrs:
            missing = {
                name: ["Give it, or upload the file."]
                for name in ("checksum", "size_bytes")
                if name not in attrs
            }
            if missing:
                raise serializers.ValidationError(missing)
        if self.instance is not None and "file" in attrs:
            raise serializers.ValidationError({"file": ["A file is given only on registration."]})
        return attrs


class DmlVerificationSerializer(StewardModelSerializer):
    class Meta:
        model = DmlVerification
        fields = [
            "id",
            "artefact",
            "checked_by",
            "checked_at",
            "file_name",
            "checksum",
            "size_bytes",
            "result",
        ]
        read_only_fields = fields


class VerifyFileSerializer(StewardSerializer):
    file = serializers.FileField(help_text="The file to check (multipart).")


class DeploymentSerializer(StewardModelSerializer):
    release = ScopedPrimaryKeyRelatedField(queryset=Release.objects.all())
    artefacts = ScopedPrimaryKeyRelatedField(
        queryset=DmlArtefact.objects.all(),
        many=True,
        required=False,
        help_text="DML artefact ids; left out: the release's own.",
    )

    class Meta:
        model = Deployment
        fields = [
            "id",
            "release",
            "environment",
            "state",
            "artefacts",
            "planned_at",
            "deployed_by",
            "started_at",
            "finished_at",
            "notes",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = [
            "state",
            "deployed_by",
            "started_at",
            "finished_at",
            "created_at",
            "updated_at",
            "version",
        ]


class DeploymentTransitionSerializer(VersionedSerializer):
    to = serializers.ChoiceField(
        choices=[c for c in DeploymentState.choices if c[0] != DeploymentState.PLANNED],
        help_text="in_progress (start), succeeded, failed or rolled_back.",
    )
    notes = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="What happened; required for failed and rolled_back.",
    )


class ArtefactTransitionSerializer(VersionedSerializer):
    pass
