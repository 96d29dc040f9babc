"""API endpoints for tickets, comments, attachments, links, watchers and time entries."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse
from drf_spectacular.utils import OpenApiTypes, extend_schema
from rest_framework import exceptions
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from steward.accounts.models import actor_of
from steward.core import uploads, workflow
from steward.core.api.viewsets import (
    CreateMixin,
    DestroyMixin,
    StewardViewSet,
    UpdateMixin,
    etag_for,
)
from steward.tickets import services
from steward.tickets.api import serializers as s
from steward.tickets.filters import (
    AttachmentFilterSet,
    CommentFilterSet,
    TicketFilterSet,
    TicketLinkFilterSet,
    TimeEntryFilterSet,
)
from steward.tickets.models import (
    Attachment,
    Comment,
    PriorityRule,
    Ticket,
    TicketLink,
    TimeEntry,
    Watcher,
    specific,
)

TICKET_RELATED = (
    "requester",
    "organisation",
    "assignee",
    "team",
    "service",
    "configuration_item",
)


class RankedWhenSearching:
    """For lists of tickets (of any kind) that take ``?q=``: best match first when searching
    and no ``ordering`` was asked for."""

    @property
    def ordering(self) -> tuple[str, ...] | None:
        request = getattr(self, "request", None)
        if request is not None and request.query_params.get("q", "").strip():
            return ("-search_rank", "-opened_at", "-id")
        return None


class TicketViewSet(RankedWhenSearching, CreateMixin, UpdateMixin, StewardViewSet):
    """Tickets of every kind. States change only through ``transition``."""

    queryset = Ticket.objects.all()
    serializer_class = s.TicketSerializer
    filterset_class = TicketFilterSet
    ordering_fields = ["id", "priority", "opened_at", "updated_at", "number"]

    def may_create(self, request: Request) -> bool:
        if not super().may_create(request):
            return False
        # Refuse before the choices are validated, so the answer is 403, not "no such team".
        data: Any = request.data if hasattr(request.data, "keys") else {}
        names = set(data.keys())
        if str(data.get("requester")) == str(request.user.pk):
            names.discard("requester")  # naming yourself as the requester is fine
        return not services.fields_refused_to(actor_of(request), Ticket, names)

    def perform_create(self, serializer: Any) -> Ticket:
        return services.create_ticket(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> Ticket:
        return services.edit_ticket(
            actor=actor_of(self.request),
            ticket=serializer.instance,
            expected_version=serializer.instance.version,
            **serializer.validated_data,
        )

    @extend_schema(request=s.TransitionSerializer, responses=s.TicketSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Move the ticket to another state (see ``transitions`` for what is allowed)."""
        ticket = self.get_object()
        body = s.TransitionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        ticket = services.transition_ticket(
            actor=actor_of(request),
            ticket=ticket,
            to=data["to"],
            values=data.get("values") or {},
            expected_version=data.get("version"),
        )
        payload = self.get_serializer(ticket).data
        return Response(payload, headers={"ETag": etag_for(payload)})

    @extend_schema(responses=s.AllowedTransitionSerializer(many=True))
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def transitions(self, request: Request, pk: str | None = None) -> Response:
        """The transitions out of the current state the caller may attempt."""
        ticket = self.get_object()
        rows = [
            {
                "to": t.target,
                "label": t.label,
                "requires": list(t.requires),
                "fields": list(t.fields),
            }
            for t in workflow.allowed_transitions(specific(ticket), request.user)
        ]
        return Response(s.AllowedTransitionSerializer(rows, many=True).data)


class _OnTicketCreate:
    """Records created on a ticket: allowed to those who work the ticket or requested it.

    Checked before validation, so the answer for a ticket somebody may not see is the same
    403 as for one that does not exist. The service then decides the details (work notes are
    staff-only, and so on).
    """

    ticket_field = "ticket"

    def may_create(self, request: Request) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        data: Any = request.data
        raw = data.get(self.ticket_field) if hasattr(data, "get") else None
        try:
            ticket = Ticket.objects.visible_to(user).get(pk=int(str(raw)))
        except (Ticket.DoesNotExist, TypeError, ValueError):
            return False
        return services.may_add_to(user, ticket)


class CommentViewSet(_OnTicketCreate, CreateMixin, StewardViewSet):
    queryset = Comment.objects.select_related("author")
    serializer_class = s.CommentSerializer
    filterset_class = CommentFilterSet
    ordering_fields = ["id", "created_at"]

    def perform_create(self, serializer: Any) -> Comment:
        data = serializer.validated_data
        return services.add_comment(
            actor=actor_of(self.request),
            ticket=data["ticket"],
            body=data["body"],
            is_public=data.get("is_public", True),
        )


class AttachmentViewSet(_OnTicketCreate, CreateMixin, StewardViewSet):
    queryset = Attachment.objects.all()
    serializer_class = s.AttachmentSerializer
    filterset_class = AttachmentFilterSet
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    ordering_fields = ["id", "uploaded_at"]

    def perform_create(self, serializer: Any) -> Attachment:
        data = serializer.validated_data
        upload = data["file"]
        return services.add_attachment(
            actor=actor_of(self.request),
            ticket=data["ticket"],
            file=upload,
            filename=upload.name,
            is_public=data.get("is_public", True),
        )

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], filter_backends=[])
    def download(self, request: Request, pk: str | None = None) -> FileResponse:
        """The file itself, always as a download."""
        return attachment_response(self.get_object())


def attachment_response(attachment: Attachment) -> FileResponse:
    response = FileResponse(attachment.file.open("rb"), as_attachment=True)
    inspected = uploads.Inspected(
        filename=attachment.filename,
        content_type=attachment.content_type,
        size=attachment.size,
        sha256=attachment.sha256,
    )
    for header, value in uploads.download_headers(inspected).items():
        response[header] = value
    return response


class TicketLinkViewSet(_OnTicketCreate, CreateMixin, DestroyMixin, StewardViewSet):
    ticket_field = "source"
    queryset = TicketLink.objects.select_related("source", "target")
    serializer_class = s.TicketLinkSerializer
    filterset_class = TicketLinkFilterSet
    ordering_fields = ["id", "created_at"]

    def perform_create(self, serializer: Any) -> TicketLink:
        data = serializer.validated_data
        return services.link_tickets(
            actor=actor_of(self.request),
            source=data["source"],
            target=data["target"],
            link_type=data["link_type"],
        )

    def perform_destroy(self, instance: TicketLink) -> None:
        services.unlink_tickets(actor=actor_of(self.request), link=instance)


class WatcherViewSet(_OnTicketCreate, CreateMixin, DestroyMixin, StewardViewSet):
    queryset = Watcher.objects.all()
    serializer_class = s.WatcherSerializer
    filterset_class = None
    ordering_fields = ["id"]

    def get_queryset(self) -> QuerySet[Any]:
        # Watchers are seen with the tickets they are on.
        tickets = Ticket.objects.visible_to(self.request.user)
        return Watcher.objects.filter(ticket__in=tickets.values("pk"))

    def perform_create(self, serializer: Any) -> Watcher:
        data = serializer.validated_data
        actor = actor_of(self.request)
        return services.add_watcher(
            actor=actor, ticket=data["ticket"], person=data.get("person") or actor
        )

    def perform_destroy(self, instance: Watcher) -> None:
        services.remove_watcher(
            actor=actor_of(self.request), ticket=instance.ticket, person=instance.person
        )


class TimeEntryViewSet(_OnTicketCreate, CreateMixin, StewardViewSet):
    queryset = TimeEntry.objects.all()
    serializer_class = s.TimeEntrySerializer
    filterset_class = TimeEntryFilterSet
    ordering_fields = ["id", "spent_on"]

    def perform_create(self, serializer: Any) -> TimeEntry:
        data = dict(serializer.validated_data)
        ticket = data.pop("ticket")
        if not data.get("minutes"):
            raise exceptions.ValidationError({"minutes": ["Required."]})
        return services.log_time(actor=actor_of(self.request), ticket=ticket, **data)


class PriorityRuleViewSet(UpdateMixin, StewardViewSet):
    """The impact x urgency matrix, one cell per row; administrators change a cell's priority."""

    queryset = PriorityRule.objects.all()
    serializer_class = s.PriorityRuleSerializer
    filterset_class = None
    ordering_fields = ["id"]

    def perform_update(self, serializer: Any) -> PriorityRule:
        cell = serializer.instance
        return services.set_priority_rule(
            actor=actor_of(self.request),
            impact=cell.impact,
            urgency=cell.urgency,
            priority=serializer.validated_data.get("priority", cell.priority),
        )
