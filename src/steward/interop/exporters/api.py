"""``/api/v1/exports/xes/`` and ``/api/v1/exports/ocel/``: event logs, streamed."""

from __future__ import annotations

from django.http import StreamingHttpResponse
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.views import APIView

from steward.accounts.models import actor_of
from steward.core.errors import RuleViolation
from steward.governance.api.serializers import PeriodSerializer
from steward.governance.models import VIEW_KPIS
from steward.governance.services.kpis import day_range
from steward.interop import exporters


class EventLogExportView(APIView):
    """The lifecycles of the tickets opened in a period as an XES or OCEL 2.0 JSON file."""

    @extend_schema(parameters=[PeriodSerializer], responses={(200, "*/*"): OpenApiTypes.BINARY})
    def get(self, request: Request, log_format: str) -> StreamingHttpResponse:
        if not request.user.has_perm(VIEW_KPIS):
            raise PermissionDenied()
        if log_format not in exporters.FORMATS:
            raise NotFound()
        query = PeriodSerializer(data=request.query_params, context={"request": request})
        query.is_valid(raise_exception=True)
        data = query.validated_data
        since, until = day_range(data["since"], data["until"])
        try:
            pieces = exporters.export(
                actor=actor_of(request),
                format=log_format,
                since=since,
                until=until,
                kind=data["kind"],
            )
        except RuleViolation as exc:
            raise ValidationError(exc.message_dict) from exc
        response = StreamingHttpResponse(pieces, content_type=exporters.FORMATS[log_format][1])
        name = exporters.filename(log_format, data["kind"], since, until)
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response


#: Paths beside the router's (``config/api_urls.py`` mounts them).
urlpatterns = [
    path("exports/<str:log_format>/", EventLogExportView.as_view(), name="event-log-export"),
]
