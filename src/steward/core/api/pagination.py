"""Cursor pagination; a tampered or stale cursor is a 400, not a silent first page."""

from __future__ import annotations

from base64 import b64decode
from typing import Any
from urllib.parse import parse_qs

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.request import Request

# What DRF writes into a cursor: offset, reverse, position.
_CURSOR_KEYS = frozenset({"o", "r", "p"})


def _invalid_cursor() -> exceptions.ValidationError:
    return exceptions.ValidationError({"cursor": ["This cursor is not valid."]})


class StewardCursorPagination(CursorPagination):
    """Stable, index-friendly paging by ``-id`` unless the view allows another ordering."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    def decode_cursor(self, request: Request) -> Cursor | None:
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound as exc:
            raise _invalid_cursor() from exc
        if cursor is not None:
            # DRF reads the keys it knows and ignores the rest; anything else was not ours.
            encoded = request.query_params[self.cursor_query_param]
            tokens = parse_qs(
                b64decode(encoded.encode("ascii")).decode("ascii"), keep_blank_values=True
            )
            if set(tokens) - _CURSOR_KEYS:
                raise _invalid_cursor()
        return cursor

    def paginate_queryset(
        self, queryset: Any, request: Request, view: Any = None
    ) -> list[Any] | None:
        try:
            return super().paginate_queryset(queryset, request, view)
        except (ValueError, DjangoValidationError) as exc:
            # A forged position that does not fit the ordering field (``p=abc`` for an id).
            if request.query_params.get(self.cursor_query_param) is None:
                raise
            raise _invalid_cursor() from exc

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError as exc:
            raise exceptions.ValidationError({"page_size": ["Must be a whole number."]}) from exc
        if not 1 <= size <= self.max_page_size:
            raise exceptions.ValidationError(
                {"page_size": [f"Must be between 1 and {self.max_page_size}."]}
            )
        return size

    def get_ordering(self, request: Request, queryset: Any, view: Any) -> tuple[str, ...]:
        ordering = tuple(super().get_ordering(request, queryset, view))
        # A unique last key keeps pages stable when the first key has ties.
        if not any(key.lstrip("-") in ("id", "pk") for key in ordering):
            ordering = (*ordering, "-id" if ordering[0].startswith("-") else "id")
        return ordering
