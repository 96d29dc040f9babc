"""Errors as ``application/problem+json`` (RFC 9457), for DRF and for plain Django views."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from steward.core import context
from steward.core.errors import Conflict, Forbidden, NotFound

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "urn:steward:problem:"


def problem_body(
    *,
    status_code: int,
    title: str,
    detail: str = "",
    kind: str = "",
    instance: str = "",
    errors: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": f"{TYPE_BASE}{kind}" if kind else "about:blank",
        "title": title,
        "status": status_code,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    request_id = context.current().request_id
    if request_id:
        body["request_id"] = request_id
    if errors:
        body["errors"] = errors
    return body


def _flatten(data: Any, prefix: str = "") -> list[dict[str, str]]:
    """DRF/Django error structures as a flat list of ``{field, message, code}``."""
    out: list[dict[str, str]] = []
    if isinstance(data, dict):
        for key, value in data.items():
            name = key if key not in ("non_field_errors", "__all__") else ""
            out += _flatten(value, f"{prefix}.{name}" if prefix and name else (name or prefix))
    elif isinstance(data, list):
        if all(not isinstance(item, dict | list) for item in data):
            for item in data:
                code = getattr(item, "code", "invalid") or "invalid"
                out.append({"field": prefix, "message": str(item), "code": str(code)})
        else:
            for index, item in enumerate(data):
                out += _flatten(item, f"{prefix}[{index}]")
    else:
        code = getattr(data, "code", "invalid") or "invalid"
        out.append({"field": prefix, "message": str(data), "code": str(code)})
    return out


KINDS: dict[type[Exception], tuple[str, str]] = {
    exceptions.ValidationError: ("validation-error", "Your request has invalid fields."),
    exceptions.ParseError: ("malformed-request", "The request body could not be parsed."),
    exceptions.NotAuthenticated: ("not-authenticated", "Authentication required."),
    exceptions.AuthenticationFailed: ("authentication-failed", "Authentication failed."),
    exceptions.PermissionDenied: ("permission-denied", "You may not do this."),
    exceptions.NotFound: ("not-found", "Not found."),
    exceptions.MethodNotAllowed: ("method-not-allowed", "Method not allowed."),
    exceptions.NotAcceptable: ("not-acceptable", "Not acceptable."),
    exceptions.UnsupportedMediaType: ("unsupported-media-type", "Unsupported media type."),
    exceptions.Throttled: ("throttled", "Too many requests."),
}


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = "The record changed since you read it; fetch it again and retry."
    default_code = "precondition-failed"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is larger than this server accepts."
    default_code = "payload-too-large"


def _translate(exc: Exception) -> Exception:
    """Service-layer errors to their DRF equivalents."""
    if isinstance(exc, NotFound | Http404):
        return exceptions.NotFound(str(exc) or "Not found.")
    if isinstance(exc, Forbidden | DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, Conflict):
        return PreconditionFailed(exc.message)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, ValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"": exc.messages}
        return exceptions.ValidationError(detail)
    return exc


def problem_exception_handler(exc: Exception, ctx: dict[str, Any]) -> Response | None:
    exc = _translate(exc)
    response = exception_handler(exc, ctx)
    if response is None:
        return None
    request = ctx.get("request")
    kind, title = "error", "Request failed."
    for cls, (k, t) in KINDS.items():
        if isinstance(exc, cls):
            kind, title = k, t
            break
    if isinstance(exc, PreconditionFailed | PayloadTooLarge):
        kind, title = str(exc.default_code), str(exc.default_detail)
    errors: list[dict[str, str]] | None = None
    detail = ""
    if isinstance(exc, exceptions.ValidationError):
        errors = _flatten(exc.detail)
        detail = "; ".join(
            f"{e['field']}: {e['message']}" if e["field"] else e["message"] for e in errors
        )
    elif isinstance(exc, exceptions.APIException):
        detail = str(exc.detail)
    response.data = problem_body(
        status_code=response.status_code,
        title=title,
        detail=detail,
        kind=kind,
        instance=request.path if request is not None else "",
        errors=errors,
    )
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(request: HttpRequest, status_code: int, title: str, kind: str) -> JsonResponse:
    """A problem+json answer for errors raised outside DRF (unknown /api/ URLs, 500s)."""
    return JsonResponse(
        problem_body(status_code=status_code, title=title, kind=kind, instance=request.path),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )
