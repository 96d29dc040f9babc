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
    # The default business calendar (in settings.TIME_ZONE): working hours, weekdays
    # (0 = Monday) and, optionally, a holiday country ("DE", "US-CA" style: country only).
    "BUSINESS_HOURS": "08:00-18:00",
    "BUSINESS_WEEKDAYS": [0, 1, 2, 3, 4],
    "BUSINESS_HOLIDAY_COUNTRY": "",
    # Resolved incidents close by themselves after this many business days; until then a
    # reply from the requester reopens them.
    "INCIDENT_AUTO_CLOSE_BUSINESS_DAYS": 3,
    # Outgoing e-mail notifications: on when an SMTP server is configured (STEWARD_SMTP_URL).
    "MAIL_ENABLED": False,
    "MAIL_FROM": "",
    "MAIL_DOMAIN": "localhost",
    "MAIL_MAX_ATTEMPTS": 6,
    "MAIL_RETRY_SECONDS": 60,
    # Where people reach Steward; links in e-mails (e.g. one-click ratings) start with it.
    "PUBLIC_URL": "http://localhost:8000",
    # How long the satisfaction links in a resolution e-mail stay valid.
    "SATISFACTION_LINK_DAYS": 30,
    # People with no role beyond requester use the self-service portal, not the agent UI.
    "PORTAL_FOR_REQUESTERS": True,
    # E-mail in: the largest message read, how many messages one sender may send in the
    # window before the rest is quarantined, and the domains whose senders must be
    # authenticated (DMARC pass from the receiving server) to be trusted.
    "MAIL_IN_MAX_MESSAGE_BYTES": 30 * 1024 * 1024,
    "MAIL_IN_RATE_LIMIT": 20,
    "MAIL_IN_RATE_WINDOW_MINUTES": 10,
    "MAIL_IN_INTERNAL_DOMAINS": [],
    # Proactive problem management (problems.trends): incidents opened in the last WINDOW
    # days, at least THRESHOLD alike ones on one CI or service and category make a proposal.
    "PROBLEM_TREND_WINDOW_DAYS": 30,
    "PROBLEM_TREND_THRESHOLD": 5,
    "PROBLEM_TREND_MIN_SIMILARITY": 0.25,
}


def get(name: str) -> Any:
    """Return the STEWARD setting ``name``, falling back to the documented default."""
    if name not in DEFAULTS:
        raise KeyError(f"Unknown Steward setting {name!r}")
    return getattr(settings, "STEWARD", {}).get(name, DEFAULTS[name])
