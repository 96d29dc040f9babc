"""The errors services raise. Entrances translate them (form error, problem+json, exit code)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class RuleViolation(ValidationError):
    """A business rule refused the change. Carries field errors like a ValidationError."""


class NotFound(Http404):
    """The object does not exist or the actor may not see it (answered as 404, never 403)."""


class Forbidden(PermissionDenied):
    """The actor sees the object but may not do this to it (answered as 403)."""


class Conflict(Exception):
    """A stale write: the object changed since the client read it (answered as 412)."""

    def __init__(self, message: str = "The record changed since you read it.") -> None:
        super().__init__(message)
        self.message = message
