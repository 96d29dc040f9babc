"""API of e-mail in: ``/api/v1/mailboxes/`` (administrators) and ``/api/v1/inbound-messages/``
(agents: list, filter, ``release``, ``discard``). Passwords are write-only; raw messages are
not in the JSON (download them from the web page)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from steward.accounts.models import Team, actor_of
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)
from steward.core.api.viewsets import CreateMixin, StewardViewSet, UpdateMixin, etag_for
from steward.incidents.models import Category
from steward.servicedesk import inbound
from steward.servicedesk.inbound_filters import InboundMessageFilterSet, MailboxFilterSet
from steward.servicedesk.models.inbound import InboundMessage, Mailbox
from steward.tickets.models import Ticket


class MailboxSerializer(StewardModelSerializer):
    default_team = ScopedPrimaryKeyRelatedField(
        queryset=Team.objects.all(), allow_null=True, required=False
    )
    default_category = ScopedPrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    password = serializers.CharField(
        write_only=True, required=False, allow_blank=True, style={"input_type": "password"}
    )
    has_password = serializers.SerializerMethodField()

    class Meta:
        model = Mailbox
        fields = [
            "id",
            "name",
            "address",
            "host",
            "port",
            "tls",
            "username",
            "password",
            "has_password",
            "folder",
            "processed_folder",
            "is_enabled",
            "default_team",
            "default_category",
            "unknown_sender",
            "last_polled_at",
            "last_error",
            "last_error_at",
        ]
        read_only_fields = ["id", "last_polled_at", "last_error", "last_error_at"]
        validators: list[Any] = []  # unique names: the service checks

    def get_has_password(self, obj: Mailbox) -> bool:
        return bool(obj.password)


class InboundMessageSerializer(StewardModelSerializer):
    ticket_number = serializers.CharField(source="ticket.number", default=None, read_only=True)

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "message_id",
            "mailbox",
            "sender",
            "subject",
            "size",
            "sha256",
            "received_at",
            "status",
            "reason",
            "detail",
            "ticket",
            "ticket_number",
            "comment",
            "reviewed_by",
            "reviewed_at",
            "review_note",
        ]
        read_only_fields = fields


class ReleaseSerializer(StewardSerializer):
    ticket = ScopedPrimaryKeyRelatedField(
        queryset=Ticket.objects.all(), allow_null=True, required=False, default=None
    )
    create_requester = serializers.BooleanField(required=False, default=False)


class DiscardSerializer(StewardSerializer):
    note = serializers.CharField(max_length=2000)


class MailboxViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Mailboxes read over IMAP (administrators)."""

    queryset = Mailbox.objects.select_related("default_team", "default_category")
    serializer_class = MailboxSerializer
    filterset_class = MailboxFilterSet
    ordering_fields = ["id", "name"]

    def perform_create(self, serializer: Any) -> Mailbox:
        return inbound.create_mailbox(actor=actor_of(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> Mailbox:
        return inbound.update_mailbox(
            actor=actor_of(self.request), mailbox=serializer.instance, **serializer.validated_data
        )


class InboundMessageViewSet(StewardViewSet):
    """Every message read; quarantined ones are released or discarded here."""

    queryset = InboundMessage.objects.select_related("ticket").defer("raw")
    serializer_class = InboundMessageSerializer
    filterset_class = InboundMessageFilterSet
    ordering_fields = ["id", "received_at"]

    def _respond(self, message: InboundMessage) -> Response:
        payload = self.get_serializer(message).data
        return Response(payload, headers={"ETag": etag_for(payload)})

    @extend_schema(request=ReleaseSerializer, responses=InboundMessageSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def release(self, request: Request, pk: str | None = None) -> Response:
        """Process a quarantined message again (optionally onto ``ticket``)."""
        message = self.get_object()
        body = ReleaseSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        done = inbound.release_message(
            actor=actor_of(request),
            message=message,
            ticket=body.validated_data.get("ticket"),
            create_requester=body.validated_data.get("create_requester", False),
        )
        return self._respond(done)

    @extend_schema(request=DiscardSerializer, responses=InboundMessageSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def discard(self, request: Request, pk: str | None = None) -> Response:
        """Set a quarantined message aside, saying why (the raw message is kept)."""
        message = self.get_object()
        body = DiscardSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        done = inbound.discard_message(
            actor=actor_of(request), message=message, note=body.validated_data["note"]
        )
        return self._respond(done)


def register(router: BaseRouter) -> None:
    router.register("mailboxes", MailboxViewSet, basename="mailbox")
    router.register("inbound-messages", InboundMessageViewSet, basename="inbound-message")
