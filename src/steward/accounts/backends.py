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

    def get_all_permissions(self, user_obj: Any, obj: Any = None) -> set[str]:
        """Django's answer (the person's own permissions and their roles'), in one query
        instead of two: every request of a signed-in person asks it."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            fields = ("content_type__app_label", "codename")
            if user_obj.is_superuser:
                rows = Permission.objects.values_list(*fields).order_by()
            else:
                own = Permission.objects.filter(user=user_obj).values_list(*fields).order_by()
                roles = self._get_group_permissions(user_obj).values_list(*fields).order_by()
                rows = own.union(roles)
            user_obj._perm_cache = {f"{app}.{codename}" for app, codename in rows}
        return user_obj._perm_cache
