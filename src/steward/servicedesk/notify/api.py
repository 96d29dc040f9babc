"""API endpoints: notification templates (administrators) and outbound e-mail (read-only).

``/api/v1/notification-templates/`` lists, creates and edits templates; a template that does
not compile is a 400 problem naming the field. ``/api/v1/outbound-emails/`` lists what was
queued and sent (filter by ``ticket``, ``ticket_number``, ``status``, ``event``), and
``POST .../{id}/send-again/`` queues a failed or stuck one again.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from steward.accounts.models import actor_of
from steward.core.api.serializers import StewardModelSerializer
from steward.core.api.viewsets import CreateMixin, StewardViewSet, UpdateMixin, etag_for
from steward.servicedesk.models.outbound import NotificationTemplate, OutboundEmail
from steward.servicedesk.notify import services
from steward.servicedesk.notify.filters import (
    NotificationTemplateFilterSet,
    OutboundEmailFilterSet,
)


class NotificationTemplateSerializer(StewardModelSerializer):
    ticket_kind = serializers.CharField(required=False, allow_blank=True, default="")

    class Meta:
        model = NotificationTemplate
        fields = ["id", "event", "ticket_kind", "subject", "body", "is_enabled", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators: list[Any] = []  # one template per event and kind: the service checks


class NotificationTemplateUpdateSerializer(NotificationTemplateSerializer):
    class Meta(NotificationTemplateSerializer.Meta):
        read_only_fields = ["id", "event", "ticket_kind", "updated_at"]


class OutboundEmailSerializer(StewardModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", read_only=True)

    class Meta:
        model = OutboundEmail
        fields = [
            "id",
            "ticket",
            "ticket_number",
            "event",
            "recipient",
            "recipient_address",
            "recipient_name",
            "subject",
            "body_text",
            "message_id",
            "in_reply_to",
            "references",
            "status",
            "attempts",
            "last_error",
            "created_at",
            "next_attempt_at",
            "claimed_at",
            "sent_at",
        ]
        read_only_fields = fields


class NotificationTemplateViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Notification templates: one per event for every kind (shipped), plus kinds' own."""

    queryset = NotificationTemplate.objects.all()
    serializer_class = NotificationTemplateSerializer
    filterset_class = NotificationTemplateFilterSet
    ordering_fields = ["id", "event", "ticket_kind"]

    def get_serializer_class(self) -> Any:
        if self.action in {"update", "partial_update"}:
            return NotificationTemplateUpdateSerializer
        return NotificationTemplateSerializer

    def perform_create(self, serializer: Any) -> NotificationTemplate:
        return services.create_template(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> NotificationTemplate:
        return services.update_template(
            actor=actor_of(self.request),
            template=serializer.instance,
            **serializer.validated_data,
        )


class OutboundEmailViewSet(StewardViewSet):
    """Notifications queued and sent, newest first. Read-only but for ``send-again``."""

    queryset = OutboundEmail.objects.select_related("ticket")
    serializer_class = OutboundEmailSerializer
    filterset_class = OutboundEmailFilterSet
    ordering_fields = ["id", "created_at", "sent_at", "status"]

    @extend_schema(request=None, responses=OutboundEmailSerializer)
    @action(detail=True, methods=["post"], url_path="send-again", filter_backends=[])
    def send_again(self, request: Request, pk: str | None = None) -> Response:
        """Queue a failed notification, or one stuck in sending, for another try (audited)."""
        email = services.send_again(actor=actor_of(request), email=self.get_object())
        payload = self.get_serializer(email).data
        return Response(payload, headers={"ETag": etag_for(payload)})


def register(router: BaseRouter) -> None:
    router.register(
        "notification-templates", NotificationTemplateViewSet, basename="notification-template"
    )
    router.register("outbound-emails", OutboundEmailViewSet, basename="outbound-email")
