"""Placeholder replaced below."""

from typing import Any


def panel_context(request: Any, ticket: Any) -> dict[str, Any] | None:
    return None
