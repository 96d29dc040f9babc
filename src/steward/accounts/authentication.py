"""API authentication: personal tokens (``Authorization: Bearer stw_...``) and sessions."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, SessionAuthentication
from rest_framework.request import Request

from steward.accounts import services
from steward.accounts.models import Person


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticate by a personal API token; expired, revoked or unknown tokens get 401."""

    keywords = ("bearer", "token")

    def authenticate(self, request: Request) -> tuple[Person, Any] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() not in self.keywords:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed("Malformed Authorization header.")
        try:
            token = services.authenticate_api_token(raw=parts[1])
        except services.TokenRejected as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        return token.person, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


class VerifiedSessionAuthentication(SessionAuthentication):
    """Session auth that refuses sessions still waiting for their second factor."""

    def authenticate(self, request: Request) -> tuple[Any, None] | None:
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if services.second_factor_pending(user):
            return None
        return result
