"""OpenAPI descriptions of Steward's authenticators, so the schema names both ways in.

drf-spectacular finds these extensions by subclassing; ``api_urls`` imports this module so
they exist before any schema is generated (``/api/schema/``, ``check --deploy``).
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """``Authorization: Bearer stw_...`` personal API tokens."""

    target_class = "steward.accounts.authentication.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        definition: dict[str, Any] = build_bearer_security_scheme_object(
            header_name="Authorization", token_prefix="Bearer"
        )
        return definition


class VerifiedSessionScheme(SessionScheme):
    """The browser session (with its second factor verified), as a cookie."""

    target_class = "steward.accounts.authentication.VerifiedSessionAuthentication"
