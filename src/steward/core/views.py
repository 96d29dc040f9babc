"""Core pages: home, health, readiness, metrics, and the problem+json error pages."""

from __future__ import annotations

import hmac
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import user_has_device

from steward.core import conf, health, metrics, policy
from steward.core.api.problems import problem_response
from steward.core.models import AuditEntry


@login_required
def home(request: HttpRequest) -> HttpResponse:
    recent = (
        policy.scope(AuditEntry.objects.all(), request.user, "view")
        .filter(actor=request.user)
        .order_by("-id")[:10]
    )
    return render(request, "core/home.html", {"recent_activity": recent})


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Alive: the process answers. No database touch, so it stays cheap."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready: database reachable, migrations applied, a worker heartbeat fresh."""
    checks = health.readiness()
    ok = all(check.ok for check in checks)
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    return JsonResponse(body, status=200 if ok else 503)


def _may_scrape(request: HttpRequest) -> bool:
    token = str(conf.get("METRICS_TOKEN") or "")
    header = request.headers.get("Authorization", "")
    if token and header.startswith("Bearer "):
        return hmac.compare_digest(header.removeprefix("Bearer ").strip(), token)
    user = getattr(request, "user", None)
    if not (user and user.is_authenticated and user.has_perm("core.view_auditentry")):
        return False
    # As in the API: a session still waiting for its second factor is not signed in yet.
    verified = getattr(user, "is_verified", None)
    return not (verified is not None and not verified() and user_has_device(user, confirmed=True))


@never_cache
@require_GET
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics: for a scraper with the metrics token, or an administrator/auditor."""
    if not _may_scrape(request):
        return HttpResponse("Forbidden\n", status=403, content_type="text/plain")
    body, content_type = metrics.render()
    return HttpResponse(body, content_type=content_type)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, 404, "Not found.", "not-found")
    return render(request, "core/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, 500, "Internal server error.", "server-error")
    return render(request, "core/500.html", status=500)


def permission_denied(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, 403, "You may not do this.", "permission-denied")
    return render(request, "core/403.html", status=403)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return problem_response(request, 400, "Bad request.", "bad-request")
    return render(request, "core/400.html", status=400)
