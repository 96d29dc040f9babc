"""API representations of people, organisations, teams, roles and tokens."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from steward.accounts.models import ApiToken, Organisation, Person, Role, Team
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)


class OrganisationSerializer(StewardModelSerializer):
    parent = ScopedPrimaryKeyRelatedField(  # type: ignore[assignment]  # DRF Field.parent
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Organisation
        fields = [
            "id",
            "name",
            "code",
            "kind",
            "parent",
            "path",
            "requesters_see_organisation",
            "is_active",
            "created_at",
        ]
        read_only_fields = ["id", "path", "created_at"]


class PersonSerializer(StewardModelSerializer):
    organisation = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    roles = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Role.objects.all(), required=False
    )
    serves_organisations = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), many=True, required=False
    )
    password = serializers.CharField(write_only=True, required=False, min_length=1)

    class Meta:
        model = Person
        fields = [
            "id",
            "email",
            "full_name",
            "organisation",
            "job_title",
            "phone",
            "time_zone",
            "is_active",
            "is_away",
            "roles",
            "serves_organisations",
            "date_joined",
            "last_login",
            "password",
        ]
        read_only_fields = ["id", "date_joined", "last_login"]


class TeamSerializer(StewardModelSerializer):
    organisation = ScopedPrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), allow_null=True, required=False
    )
    lead = ScopedPrimaryKeyRelatedField(
        queryset=Person.objects.all(), allow_null=True, required=False
    )
    members: serializers.Field[Any, Any, Any, Any] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "name",
            "description",
            "email",
            "organisation",
            "support_line",
            "lead",
            "members",
            "is_active",
        ]
        read_only_fields = ["id", "members"]


class TeamMemberSerializer(StewardSerializer):
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all())


class RoleSerializer(StewardModelSerializer):
    permissions = serializers.SerializerMethodField()

    class Meta:
        model = Role
        fields = [
            "id",
            "code",
            "name",
            "description",
            "is_staff_role",
            "requires_second_factor",
            "permissions",
        ]
        read_only_fields = ["id", "code", "name", "is_staff_role", "permissions"]

    def get_permissions(self, role: Role) -> list[str]:
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.all())


class ApiTokenSerializer(StewardModelSerializer):
    status = serializers.CharField(read_only=True)

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "person",
            "name",
            "prefix",
            "created_at",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "status",
        ]
        read_only_fields = fields


class ApiTokenCreateSerializer(StewardSerializer):
    name = serializers.CharField(max_length=100)
    expires_in_days = serializers.IntegerField(required=False, min_value=1)
    person = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.SerializerMethodField()

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = fields

    def get_token(self, obj: Any) -> str:
        return str(self.context.get("secret", ""))
