"""django-helpdesk under ``/helpdesk/`` (its API at ``/helpdesk/api/``), and ``/healthz``."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def healthz(request: HttpRequest) -> HttpResponse:
    """What the benchmark polls until gunicorn's workers answer."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("healthz", healthz),
    path("helpdesk/", include("helpdesk.urls", namespace="helpdesk")),
]
