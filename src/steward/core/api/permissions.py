"""DRF's door to the one policy: authentication required, model permission per method."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request


class PolicyPermission(BasePermission):
    """Requires a signed-in person. Which rows, and per-row actions, are the policy's
    (through ``visible_to`` in ``get_queryset`` and the services), so objects the person may
    not see are 404s."""

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active)
