"""Authentication by e-mail and permissions from roles."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import QuerySet


def lockout_username(request: Any, credentials: dict[str, Any] | None = None) -> str:
    """The e-mail django-axes counts failures against, normalised as sign-in matches it.

    Without this, ``Ann@x`` and ``ann@x`` would be separate lock-out counters for one account.
    """
    if credentials:
        raw = credentials.get("username")
    else:
        raw = getattr(request, "data", request.POST).get("username")
    return str(raw or "").strip().lower()


class RoleBackend(ModelBackend):
    """Django's model backend, with a person's roles standing in for groups."""

    def _get_group_permissions(self, user_obj: Any) -> QuerySet[Permission]:
        return Permission.objects.filter(roles__people=user_obj)
