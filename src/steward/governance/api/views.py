"""``/api/v1/reports/kpis/`` and ``/api/v1/reports/variants/``: the governance reports."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from steward.accounts.models import actor_of
from steward.core.errors import RuleViolation
from steward.governance.api import serializers as s
from steward.governance.models import VIEW_KPIS
from steward.governance.services import kpis, variants


def _query(request: Request, serializer: type[s.PeriodSerializer]) -> dict[str, Any]:
    if not request.user.has_perm(VIEW_KPIS):
        raise PermissionDenied()
    query = serializer(data=request.query_params, context={"request": request})
    query.is_valid(raise_exception=True)
    return dict(query.validated_data)


class KpiReportView(APIView):
    """Service KPIs of a period, in all and per group (see docs/development/kpis.md for how
    each figure is computed)."""

    @extend_schema(parameters=[s.KpiQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        data = _query(request, s.KpiQuerySerializer)
        since, until = kpis.day_range(data["since"], data["until"])
        try:
            report = kpis.kpi_report(
                actor=actor_of(request),
                since=since,
                until=until,
                kind=data["kind"],
                group_by=data["group_by"] or None,
            )
        except RuleViolation as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(report.as_dict())


class VariantReportView(APIView):
    """The most frequent lifecycle paths of the tickets opened in a period, and the
    transitions the active workflow does not declare."""

    @extend_schema(parameters=[s.VariantQuerySerializer], responses=OpenApiTypes.OBJECT)
    def get(self, request: Request) -> Response:
        data = _query(request, s.VariantQuerySerializer)
        since, until = kpis.day_range(data["since"], data["until"])
        try:
            report = variants.variant_report(
                actor=actor_of(request),
                since=since,
                until=until,
                kind=data["kind"],
                limit=data["limit"],
            )
        except RuleViolation as exc:
            raise ValidationError(exc.message_dict) from exc
        return Response(report.as_dict())
