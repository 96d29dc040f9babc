"""Reading the peer site's configuration from its environment: pure, no Django imported.

The benchmark passes everything through environment variables, as Steward's own sites get
theirs: ``DATABASE_URL`` (``postgres://user:password@host:port/name``), ``SECRET_KEY``,
``PEER_ALLOWED_HOSTS`` (comma-separated), ``PEER_DATA_DIR`` (media and static files) and
``PEER_EMAIL_BACKEND`` (a dotted path; ``locmem`` by default, so no mail leaves the process).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

#: Django's in-memory e-mail backend: messages are built (MIME and all) and kept in the
#: worker's memory, nothing is sent over the network.
DEFAULT_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
#: Persistent connections, as Steward's production settings keep them.
CONN_MAX_AGE = 60
POSTGRES_SCHEMES = ("postgres", "postgresql")


class ConfigurationError(ValueError):
    """The environment does not describe a usable peer site."""


def database_from_url(url: str) -> dict[str, Any]:
    """Django's ``DATABASES["default"]`` for a PostgreSQL URL."""
    parts = urlsplit(url)
    if parts.scheme not in POSTGRES_SCHEMES:
        raise ConfigurationError(f"DATABASE_URL must be a PostgreSQL URL, not {parts.scheme!r}")
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ConfigurationError("DATABASE_URL names no database")
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        "CONN_MAX_AGE": CONN_MAX_AGE,
    }


def allowed_hosts(text: str) -> list[str]:
    """``"a, b,,c"`` as ``["a", "b", "c"]``."""
    return [host.strip() for host in text.split(",") if host.strip()]


def required(environ: Mapping[str, str], name: str) -> str:
    value = environ.get(name, "")
    if not value:
        raise ConfigurationError(f"{name} must be set")
    return value


def email_backend(environ: Mapping[str, str]) -> str:
    return environ.get("PEER_EMAIL_BACKEND") or DEFAULT_EMAIL_BACKEND
