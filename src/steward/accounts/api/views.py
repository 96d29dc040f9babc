"""API endpoints for accounts. Views parse and render; services decide."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from steward.accounts import services
from steward.accounts.api import serializers as s
from steward.accounts.filters import (
    ApiTokenFilterSet,
    OrganisationFilterSet,
    PersonFilterSet,
    TeamFilterSet,
)
from steward.accounts.models import ApiToken, Organisation, Person, Role, Team, actor_of
from steward.core import policy
from steward.core.api.viewsets import CreateMixin, DestroyMixin, StewardViewSet, UpdateMixin


class OrganisationViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    queryset = Organisation.objects.all()
    serializer_class = s.OrganisationSerializer
    filterset_class = OrganisationFilterSet
    ordering_fields = ["name", "code", "path", "id"]

    def perform_create(self, serializer: Any) -> Organisation:
        return services.create_organisation(
            actor=actor_of(self.request), **serializer.validated_data
        )

    def perform_update(self, serializer: Any) -> Organisation:
        return services.update_organisation(
            actor=actor_of(self.request),
            organisation=serializer.instance,
            **serializer.validated_data,
        )


class PersonViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    queryset = (
        Person.objects.select_related("organisation")
        .prefetch_related(Prefetch("roles", queryset=Role.objects.only("id", "code")))
        .prefetch_related(
            Prefetch("serves_organisations", queryset=Organisation.objects.only("id"))
        )
    )
    serializer_class = s.PersonSerializer
    filterset_class = PersonFilterSet
    ordering_fields = ["full_name", "email", "date_joined", "id"]

    def perform_create(self, serializer: Any) -> Person:
        data = dict(serializer.validated_data)
        data["roles"] = [role.code for role in data.pop("roles", [])] or ["requester"]
        return services.create_person(actor=actor_of(self.request), **data)

    def perform_update(self, serializer: Any) -> Person:
        data = dict(serializer.validated_data)
        password = data.pop("password", None)
        if "roles" in data:
            data["roles"] = [role.code for role in data["roles"]]
        person = services.update_person(
            actor=actor_of(self.request), person=serializer.instance, **data
        )
        if password:
            services.set_password(actor=actor_of(self.request), person=person, password=password)
        return person

    @extend_schema(responses=s.PersonSerializer)
    @action(detail=False, methods=["get"], url_path="me", filter_backends=[])
    def me(self, request: Request) -> Response:
        """The signed-in person."""
        return Response(self.get_serializer(self.get_queryset().get(pk=request.user.pk)).data)


class TeamViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    queryset = Team.objects.select_related("organisation", "lead").prefetch_related(
        Prefetch("members", queryset=Person.objects.only("id"))
    )
    serializer_class = s.TeamSerializer
    filterset_class = TeamFilterSet
    ordering_fields = ["name", "support_line", "id"]

    def perform_create(self, serializer: Any) -> Team:
        return services.create_team(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> Team:
        return services.update_team(
            actor=actor_of(self.request), team=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=s.TeamMemberSerializer, responses=s.TeamSerializer)
    @action(detail=True, methods=["post"], url_path="members", filter_backends=[])
    def add_member(self, request: Request, pk: str | None = None) -> Response:
        """Add a person to the team."""
        team = self.get_object()
        body = s.TeamMemberSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        services.add_team_member(
            actor=actor_of(request), team=team, person=body.validated_data["person"]
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=team.pk)).data)

    @extend_schema(request=None, responses={204: None})
    @action(
        detail=True,
        methods=["delete"],
        url_path=r"members/(?P<person_id>[0-9]+)",
        filter_backends=[],
    )
    def remove_member(
        self, request: Request, pk: str | None = None, person_id: str = ""
    ) -> Response:
        """Take a person out of the team."""
        team = self.get_object()
        person = team.members.filter(pk=person_id).first()
        if person is not None:
            services.remove_team_member(actor=actor_of(request), team=team, person=person)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RoleViewSet(UpdateMixin, StewardViewSet):
    queryset = Role.objects.prefetch_related("permissions__content_type")
    serializer_class = s.RoleSerializer
    ordering_fields = ["id", "code"]
    http_method_names = ["get", "patch", "put", "head", "options"]

    def perform_update(self, serializer: Any) -> Role:
        return services.update_role(
            actor=actor_of(self.request), role=serializer.instance, **serializer.validated_data
        )


class ApiTokenViewSet(CreateMixin, DestroyMixin, StewardViewSet):
    """Personal API tokens. Creating one answers the secret once; deleting revokes."""

    queryset = ApiToken.objects.all()
    serializer_class = s.ApiTokenSerializer
    filterset_class = ApiTokenFilterSet
    ordering_fields = ["created_at", "expires_at", "id"]

    def get_serializer_class(self) -> Any:
        if self.action == "create":
            return s.ApiTokenCreateSerializer
        return s.ApiTokenSerializer

    @extend_schema(request=s.ApiTokenCreateSerializer, responses={201: s.ApiTokenCreatedSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not policy.can_add(request.user, ApiToken, owner=request.user):
            raise exceptions.PermissionDenied()
        body = s.ApiTokenCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        person = data.pop("person", None) or actor_of(request)
        token, secret = services.create_api_token(actor=actor_of(request), person=person, **data)
        out = s.ApiTokenCreatedSerializer(token, context={"secret": secret})
        return Response(out.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        services.revoke_api_token(actor=actor_of(self.request), token=instance)

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("person")
