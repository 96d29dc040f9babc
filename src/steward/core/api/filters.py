"""Filtering and ordering from an allowlist only; anything else is a 400."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions
from rest_framework.filters import OrderingFilter
from rest_framework.request import Request

# Query parameters every list understands besides its FilterSet's own.
COMMON_PARAMS = frozenset({"cursor", "page_size", "ordering", "format"})


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, refusing query parameters the view does not allow."""

    def filter_queryset(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        if getattr(view, "action", None) == "list" or request.method == "GET":
            allowed = set(COMMON_PARAMS)
            filterset_class = self.get_filterset_class(view, queryset)
            if filterset_class is not None:
                allowed |= set(filterset_class.base_filters)
            if getattr(view, "search_param", None):
                allowed.add(view.search_param)
            unknown = sorted(set(request.query_params) - allowed)
            if unknown and getattr(view, "action", "list") == "list":
                raise exceptions.ValidationError(
                    {
                        name: [f"Unknown filter. Allowed: {', '.join(sorted(allowed))}."]
                        for name in unknown
                    }
                )
        return super().filter_queryset(request, queryset, view)


class StrictOrderingFilter(OrderingFilter):
    """Ordering by the view's ``ordering_fields`` only; an unknown field is a 400."""

    def get_ordering(self, request: Request, queryset: QuerySet[Any], view: Any) -> Any:
        params = request.query_params.get(self.ordering_param)
        if params:
            allowed = set(getattr(view, "ordering_fields", None) or [])
            fields = [part.strip() for part in params.split(",") if part.strip()]
            bad = [f for f in fields if f.lstrip("-") not in allowed]
            if bad:
                raise exceptions.ValidationError(
                    {
                        self.ordering_param: [
                            f"Cannot order by {', '.join(bad)}. "
                            f"Allowed: {', '.join(sorted(allowed)) or 'none'}."
                        ]
                    }
                )
            return fields
        return self.get_default_ordering(view)
