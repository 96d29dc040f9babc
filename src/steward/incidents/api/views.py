"""API endpoints for incidents, their categories and assignment rules.

Incidents change state through ``/api/v1/tickets/{id}/transition/`` (they are tickets);
``escalate`` and ``reassign`` are incident actions of their own.
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
    InteractionFilterSet,
    MajorIncidentUpdateFilterSet,
    PostIncidentReviewFilterSet,
    ReviewActionFilterSet,
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
from steward.incidents.services import interactions, major, reports
from steward.tickets import services as ticket_services
from steward.tickets.api.views import RankedWhenSearching


class IncidentViewSet(RankedWhenSearching, CreateMixin, UpdateMixin, StewardViewSet):
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

    @extend_schema(request=s.DeclareMajorSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="declare-major")
    def declare_major(self, request: Request, pk: str | None = None) -> Response:
        """Declare a major incident (incident managers); it gets the highest priority."""
        incident = self.get_object()
        if not major.may_declare(actor_of(request)):
            raise PermissionDenied("Only incident managers may declare major incidents.")
        body = s.DeclareMajorSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        incident = major.declare_major(
            actor=actor_of(request), incident=incident, **body.validated_data
        )
        return self._respond(incident)

    @extend_schema(request=s.StandDownSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="stand-down-major")
    def stand_down_major(self, request: Request, pk: str | None = None) -> Response:
        """It is not (or no longer) a major incident (incident managers)."""
        incident = self.get_object()
        if not major.may_declare(actor_of(request)):
            raise PermissionDenied("Only incident managers may stand down major incidents.")
        body = s.StandDownSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        incident = major.stand_down_major(
            actor=actor_of(request), incident=incident, **body.validated_data
        )
        return self._respond(incident)

    @extend_schema(request=s.AttachChildrenSerializer, responses=s.IncidentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="attach-children")
    def attach_children(self, request: Request, pk: str | None = None) -> Response:
        """Attach child incidents in bulk: all of them, or none (reasons under ``children``)."""
        incident = self.get_object()
        body = s.AttachChildrenSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        major.attach_children(
            actor=actor_of(request), parent=incident, children=body.validated_data["children"]
        )
        return self._respond(Incident.objects.get(pk=incident.pk))


class MajorIncidentUpdateViewSet(CreateMixin, StewardViewSet):
    """A major incident's communication log: appended, never edited or deleted."""

    queryset = MajorIncidentUpdate.objects.all()
    serializer_class = s.MajorIncidentUpdateSerializer
    filterset_class = MajorIncidentUpdateFilterSet
    ordering_fields = ["id", "created_at"]

    def perform_create(self, serializer: Any) -> MajorIncidentUpdate:
        return major.post_update(actor=actor_of(self.request), **serializer.validated_data)


class PostIncidentReviewViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Post-incident reviews of major incidents; ``move`` changes the status."""

    queryset = PostIncidentReview.objects.prefetch_related("actions")
    serializer_class = s.PostIncidentReviewSerializer
    filterset_class = PostIncidentReviewFilterSet
    ordering_fields = ["id", "created_at", "updated_at"]

    def perform_create(self, serializer: Any) -> PostIncidentReview:
        return major.start_review(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> PostIncidentReview:
        return major.update_review(
            actor=actor_of(self.request), review=serializer.instance, **serializer.validated_data
        )

    @extend_schema(request=s.MoveReviewSerializer, responses=s.PostIncidentReviewSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def move(self, request: Request, pk: str | None = None) -> Response:
        """Draft -> in review -> completed (and back a step)."""
        review = self.get_object()
        body = s.MoveReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        review = major.move_review(
            actor=actor_of(request), review=review, to=body.validated_data["status"]
        )
        payload = self.get_serializer(review).data
        return Response(payload, headers={"ETag": etag_for(payload)})


class ReviewActionViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """The actions post-incident reviews decided on; owners mark theirs done."""

    queryset = ReviewAction.objects.all()
    serializer_class = s.ReviewActionSerializer
    filterset_class = ReviewActionFilterSet
    ordering_fields = ["id", "due_on"]

    def perform_create(self, serializer: Any) -> ReviewAction:
        return major.add_review_action(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> ReviewAction:
        return major.update_review_action(
            actor=actor_of(self.request), action=serializer.instance, **serializer.validated_data
        )


class InteractionViewSet(CreateMixin, StewardViewSet):
    """Service-desk contacts; they end with ``resolve``, ``raise-incident``, ``link`` or
    ``abandon``."""

    queryset = Interaction.objects.all()
    serializer_class = s.InteractionSerializer
    filterset_class = InteractionFilterSet
    ordering_fields = ["id", "started_at", "ended_at", "number"]

    def perform_create(self, serializer: Any) -> Interaction:
        return interactions.log_interaction(
            actor=actor_of(self.request), **serializer.validated_data
        )

    def _respond(self, interaction: Interaction) -> Response:
        payload = self.get_serializer(interaction).data
        return Response(payload, headers={"ETag": etag_for(payload)})

    def _changeable(self) -> Interaction:
        interaction: Interaction = self.get_object()
        policy.require(actor_of(self.request), "change", interaction)
        return interaction

    @extend_schema(request=s.ResolveInteractionSerializer, responses=s.InteractionSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def resolve(self, request: Request, pk: str | None = None) -> Response:
        """Resolved on first contact."""
        interaction = self._changeable()
        body = s.ResolveInteractionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            interactions.resolve_on_first_contact(
                actor=actor_of(request), interaction=interaction, **body.validated_data
            )
        )

    @extend_schema(request=s.RaiseIncidentSerializer, responses=s.InteractionSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="raise-incident")
    def raise_incident(self, request: Request, pk: str | None = None) -> Response:
        """Open an incident for the caller from the contact, linked to it."""
        interaction = self._changeable()
        body = s.RaiseIncidentSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        values = {k: v for k, v in body.validated_data.items() if v is not None}
        return self._respond(
            interactions.raise_incident_from_interaction(
                actor=actor_of(request), interaction=interaction, **values
            )
        )

    @extend_schema(request=s.LinkInteractionSerializer, responses=s.InteractionSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def link(self, request: Request, pk: str | None = None) -> Response:
        """The contact is about an existing incident."""
        interaction = self._changeable()
        body = s.LinkInteractionSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        return self._respond(
            interactions.link_interaction(
                actor=actor_of(request), interaction=interaction, **body.validated_data
            )
        )

    @extend_schema(request=s.AbandonInteractionSerializer, responses=s.InteractionSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def abandon(self, request: Request, pk: str | None = None) -> Response:
        """The contact ended before anything could be done."""
        interaction = self._changeable()
        body = s.AbandonInteractionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._respond(
            interactions.abandon_interaction(
                actor=actor_of(request), interaction=interaction, **body.validated_data
            )
        )


class FirstContactResolutionView(APIView):
    """First-contact resolution of a period: contacts resolved on first contact, and
    incidents resolved by the first team they reached (see the report's documentation)."""

    @extend_schema(
        parameters=[s.FirstContactResolutionQuerySerializer],
        responses=s.FirstContactResolutionSerializer,
    )
    def get(self, request: Request) -> Response:
        if not policy.has_model_permission(request.user, Interaction, "view"):
            raise PermissionDenied()
        query = s.FirstContactResolutionQuerySerializer(
            data=request.query_params, context={"request": request}
        )
        query.is_valid(raise_exception=True)
        data = query.validated_data
        if data["until"] < data["since"]:
            raise ValidationError({"until": ["The end is before the start."]})
        since, until = reports.day_range(data["since"], data["until"])
        figures = reports.first_contact_resolution(
            actor=actor_of(request), since=since, until=until, team=data.get("team")
        )
        return Response(figures.as_dict())


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
