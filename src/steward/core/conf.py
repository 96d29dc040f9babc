"""Lazy access to Steward's own settings (the ``STEWARD`` dict in settings.py)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "SITE_NAME": "Steward",
    "METRICS_TOKEN": "",
    "WORKER_HEARTBEAT_MAX_AGE": 120,
    "API_TOKEN_DEFAULT_DAYS": 90,
    "API_TOKEN_MAX_DAYS": 366,
    "SCHEDULER_INTERVAL": 15,
    "ATTACHMENT_MAX_BYTES": 20 * 1024 * 1024,
}


def get(name: str) -> Any:
    """Return the STEWARD setting ``name``, falling back to the documented default."""
    if name not in DEFAULTS:
        raise KeyError(f"Unknown Steward setting {name!r}")
    return getattr(settings, "STEWARD", {}).get(name, DEFAULTS[name])
