"""Request context: a request id per request (or the caller's X-Request-ID), and an access log."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from steward.core import context, metrics

logger = logging.getLogger("steward.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestContextMiddleware:
    """Sets the action context for the request and logs one structured line per request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else context.new_request_id()
        source = "api" if request.path.startswith("/api/") else "web"
        started = time.perf_counter()
        with context.acting(source, request_id=request_id, remote_addr=_remote_addr(request)):
            request.request_id = request_id  # type: ignore[attr-defined]
            response = self.get_response(request)
        elapsed = time.perf_counter() - started
        response["X-Request-ID"] = request_id
        route = _route(request)
        metrics.observe_request(request.method or "", route, response.status_code, elapsed)
        if route not in {"healthz", "readyz", "metrics"}:
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "request_id": request_id,
                    "source": source,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                    "user_id": getattr(getattr(request, "user", None), "pk", None),
                },
            )
        return response


def _remote_addr(request: HttpRequest) -> str:
    return str(request.META.get("REMOTE_ADDR", ""))


def _route(request: HttpRequest) -> str:
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unmatched"
    return match.view_name or match.route or "unmatched"
