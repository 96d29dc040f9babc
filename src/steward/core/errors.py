"""The errors services raise. Entrances translate them (form error, problem+json, exit code)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404


class RuleViolation(ValidationError):
    """A business rule refused the change. Carries field errors like a ValidationError."""


def refuse_unknown(changes: Iterable[str], allowed: Iterable[str]) -> None:
    """Refuse, field by field, changes to fields a service does not change."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise RuleViolation({name: "This field cannot be changed." for name in sorted(unknown)})


class NotFound(Http404):
    """The object does not exist or the actor may not see it (answered as 404, never 403)."""


class Forbidden(PermissionDenied):
    """The actor sees the object but may not do this to it (answered as 403)."""


class Conflict(Exception):
    """A stale write: the object changed since the client read it (answered as 412)."""

    def __init__(self, message: str = "The record changed since you read it.") -> None:
        super().__init__(message)
        self.message = message
