"""API view bases: scoped querysets, ETag on reads, If-Match on writes, services for writes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from django.db import transaction
from django.db.models import Model, QuerySet
from rest_framework import exceptions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from steward.core import policy
from steward.core.api.problems import PreconditionFailed


def etag_for(data: Any) -> str:
    """A strong validator over the representation the client would see."""
    encoded = json.dumps(data, sort_keys=True, default=str, separators=(",", ":")).encode()
    return f'"{hashlib.sha256(encoded).hexdigest()[:32]}"'


class StewardViewSet(viewsets.GenericViewSet[Any]):
    """List and retrieve through ``visible_to``; subclasses add write mixins below.

    ``queryset`` is the base (with its select/prefetch); ``get_queryset`` scopes it to
    what the person may view, so anything else answers 404.
    """

    queryset: QuerySet[Any]
    scope_action = "view"

    def get_queryset(self) -> QuerySet[Any]:
        scoped: QuerySet[Any] = policy.scope(
            self.queryset.all(), self.request.user, self.scope_action
        )
        return scoped

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page if page is not None else queryset, many=True)
        if page is not None:
            return self.get_paginated_response(serializer.data)
        return Response(serializer.data)

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = self.get_serializer(self.get_object()).data
        tag = etag_for(data)
        if tag in _tags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": tag})
        return Response(data, headers={"ETag": tag})

    # -- conditional writes --

    def current_etag(self, instance: Model) -> str:
        return etag_for(self.get_serializer(instance).data)

    def check_if_match(self, instance: Model) -> None:
        header = self.request.headers.get("If-Match", "")
        if not header or header.strip() == "*":
            return
        if self.current_etag(instance) not in _tags(header):
            raise PreconditionFailed()

    def locked_object(self) -> Model:
        """The object, row-locked for the rest of the transaction (a write is coming)."""
        obj = self.get_object()
        locked: Model = type(obj)._default_manager.select_for_update().get(pk=obj.pk)
        return locked


def _tags(header: str) -> list[str]:
    return [part.strip().removeprefix("W/") for part in header.split(",") if part.strip()]


class CreateMixin:
    """POST: validate, then ``perform_create`` calls the service and sets the instance."""

    def may_create(self: Any, request: Request) -> bool:
        """Checked before validating, so a person without the right learns nothing from errors.

        Records created *on* another (a comment on a ticket) override this and leave the
        decision to the service, which knows the parent.
        """
        return policy.can_add(request.user, self.queryset.model, owner=request.user)

    def create(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        if not self.may_create(request):
            raise exceptions.PermissionDenied()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            instance = self.perform_create(serializer)
        serializer.instance = instance  # the same serializer shows it: its fields are built
        data = serializer.data
        return Response(data, status=status.HTTP_201_CREATED, headers={"ETag": etag_for(data)})


class UpdateMixin:
    """PUT/PATCH with ``If-Match``: a stale representation gets 412 and changes nothing."""

    def update(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(instance)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            instance = self.perform_update(serializer)
        data = self.get_serializer(instance).data
        return Response(data, headers={"ETag": etag_for(data)})

    def partial_update(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        kwargs["partial"] = True
        return self.update(request, *args, **kwargs)  # type: ignore[no-any-return]


class DestroyMixin:
    """DELETE with ``If-Match``; ``perform_destroy`` calls the service."""

    def destroy(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(instance)
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)


__all__ = ["CreateMixin", "DestroyMixin", "StewardViewSet", "UpdateMixin", "etag_for"]
