"""API endpoints for releases, deployments and the definitive media library.

Releases change state through ``/api/v1/tickets/{id}/transition/`` (they are tickets); the
changes and artefacts they group are actions of their own. Deployments move with
``POST /deployments/{id}/transition/``; artefacts are approved, retired and verified with
actions. A file (registration, verification) is sent as multipart and read in chunks.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from steward.accounts.models import actor_of
from steward.core.api.viewsets import CreateMixin, StewardViewSet, UpdateMixin, etag_for
from steward.releases import services
from steward.releases.api import serializers as s
from steward.releases.filters import (
    DeploymentFilterSet,
    DmlArtefactFilterSet,
    DmlVerificationFilterSet,
    ReleaseFilterSet,
)
from steward.releases.models import Deployment, DmlArtefact, DmlVerification, Release
from steward.tickets.api.views import RankedWhenSearching


def _respond(serializer: Any) -> Response:
    payload = serializer.data
    return Response(payload, headers={"ETag": etag_for(payload)})


class ReleaseViewSet(RankedWhenSearching, CreateMixin, UpdateMixin, StewardViewSet):
    """Releases (release managers write; agents read)."""

    queryset = Release.objects.prefetch_related("changes", "artefacts")
    serializer_class = s.ReleaseSerializer
    filterset_class = ReleaseFilterSet
    ordering_fields = ["id", "planned_start", "opened_at", "updated_at", "number"]

    def perform_create(self, serializer: Any) -> Release:
        data = dict(serializer.validated_data)
        data.pop("requester", None)  # whoever plans a release is its requester
        return services.open_release(actor=actor_of(self.request), **data)

    def perform_update(self, serializer: Any) -> Release:
        return services.update_release(
            actor=actor_of(self.request),
            release=serializer.instance,
            expected_version=serializer.instance.version,
            **serializer.validated_data,
        )

    def _fresh(self, release: Release) -> Response:
        fresh = self.get_queryset().get(pk=release.pk)
        return _respond(self.get_serializer(fresh))

    @extend_schema(request=s.ReleaseChangesSerializer, responses=s.ReleaseSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="changes")
    def set_changes(self, request: Request, pk: str | None = None) -> Response:
        """Replace the changes the release groups."""
        release = self.get_object()
        body = s.ReleaseChangesSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        release = services.set_release_changes(
            actor=actor_of(request),
            release=release,
            changes=body.validated_data["changes"],
            expected_version=body.validated_data.get("version"),
        )
        return self._fresh(release)

    @extend_schema(request=s.ReleaseArtefactsSerializer, responses=s.ReleaseSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="artefacts")
    def set_artefacts(self, request: Request, pk: str | None = None) -> Response:
        """Replace the DML artefacts the release ships (retired ones are refused)."""
        release = self.get_object()
        body = s.ReleaseArtefactsSerializer(data=request.data, context={"request": request})
        body.is_valid(raise_exception=True)
        release = services.set_release_artefacts(
            actor=actor_of(request),
            release=release,
            artefacts=body.validated_data["artefacts"],
            expected_version=body.validated_data.get("version"),
        )
        return self._fresh(release)


class DmlArtefactViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """The definitive media library (release managers register, approve and retire; agents
    read). Register by metadata (JSON) or by file (multipart ``file``)."""

    queryset = DmlArtefact.objects.all()
    serializer_class = s.DmlArtefactSerializer
    filterset_class = DmlArtefactFilterSet
    ordering_fields = ["id", "name", "registered_at", "approved_at"]
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def perform_create(self, serializer: Any) -> DmlArtefact:
        data = dict(serializer.validated_data)
        upload = data.pop("file", None)
        actor = actor_of(self.request)
        if upload is not None:
            data.pop("checksum", None)
            data.pop("size_bytes", None)
            return services.register_artefact_from_file(
                actor=actor, content=upload.chunks(), **data
            )
        return services.register_artefact(actor=actor, **data)

    def perform_update(self, serializer: Any) -> DmlArtefact:
        return services.update_artefact(
            actor=actor_of(self.request),
            artefact=serializer.instance,
            expected_version=serializer.instance.version,
            **serializer.validated_data,
        )

    @extend_schema(request=s.ArtefactTransitionSerializer, responses=s.DmlArtefactSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        """Approve a draft for deployment (release managers; who and when are kept)."""
        body = s.ArtefactTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        artefact = services.approve_artefact(
            actor=actor_of(request),
            artefact=self.get_object(),
            expected_version=body.validated_data.get("version"),
        )
        return _respond(self.get_serializer(artefact))

    @extend_schema(request=s.ArtefactTransitionSerializer, responses=s.DmlArtefactSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def retire(self, request: Request, pk: str | None = None) -> Response:
        """Retire an artefact: it is no longer deployed (release managers)."""
        body = s.ArtefactTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        artefact = services.retire_artefact(
            actor=actor_of(request),
            artefact=self.get_object(),
            expected_version=body.validated_data.get("version"),
        )
        return _respond(self.get_serializer(artefact))

    @extend_schema(request=s.VerifyFileSerializer, responses=s.DmlVerificationSerializer)
    @action(
        detail=True,
        methods=["post"],
        filter_backends=[],
        parser_classes=[MultiPartParser],
        url_path="verify",
    )
    def verify_one(self, request: Request, pk: str | None = None) -> Response:
        """Check a file against this artefact; the check is recorded (see ``result``)."""
        artefact = self.get_object()
        body = s.VerifyFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        check = services.verify_file(
            actor=actor_of(request),
            content=upload.chunks(),
            file_name=upload.name or "upload",
            artefact=artefact,
        )
        return Response(s.DmlVerificationSerializer(check).data)

    @extend_schema(
        request=s.VerifyFileSerializer,
        responses=s.DmlVerificationSerializer,
        operation_id="dml_artefacts_verify_by_checksum",
    )
    @action(
        detail=False,
        methods=["post"],
        filter_backends=[],
        parser_classes=[MultiPartParser],
        url_path="verify",
    )
    def verify_any(self, request: Request) -> Response:
        """Check a file against the library by its checksum; the check is recorded
        (``unknown`` when no artefact has it)."""
        body = s.VerifyFileSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        upload = body.validated_data["file"]
        check = services.verify_file(
            actor=actor_of(request), content=upload.chunks(), file_name=upload.name or "upload"
        )
        return Response(s.DmlVerificationSerializer(check).data)


class DmlVerificationViewSet(StewardViewSet):
    """The verification history: every check of a file against the library."""

    queryset = DmlVerification.objects.all()
    serializer_class = s.DmlVerificationSerializer
    filterset_class = DmlVerificationFilterSet
    ordering_fields = ["id", "checked_at"]


class DeploymentViewSet(CreateMixin, StewardViewSet):
    """Deployments of releases to environments (release managers plan and move them)."""

    queryset = Deployment.objects.prefetch_related("artefacts")
    serializer_class = s.DeploymentSerializer
    filterset_class = DeploymentFilterSet
    ordering_fields = ["id", "created_at", "planned_at", "started_at", "finished_at"]

    def perform_create(self, serializer: Any) -> Deployment:
        data = dict(serializer.validated_data)
        return services.plan_deployment(
            actor=actor_of(self.request),
            release=data["release"],
            environment=data["environment"],
            artefacts=data.get("artefacts"),
            planned_at=data.get("planned_at"),
            notes=data.get("notes", ""),
        )

    @extend_schema(request=s.DeploymentTransitionSerializer, responses=s.DeploymentSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Start a deployment, record its outcome, or roll it back."""
        body = s.DeploymentTransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        deployment = services.transition_deployment(
            actor=actor_of(request),
            deployment=self.get_object(),
            to=data["to"],
            notes=data.get("notes"),
            expected_version=data.get("version"),
        )
        fresh = self.get_queryset().get(pk=deployment.pk)
        return _respond(self.get_serializer(fresh))
