"""Second-factor enforcement for the web UI.

A signed-in person with a confirmed TOTP device must verify it before anything else; a
person whose role requires a second factor and has none must enrol first.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from steward.accounts import services

ALWAYS_ALLOWED_PREFIXES = ("/static/", "/healthz", "/readyz", "/metrics", "/api/")


class SecondFactorMiddleware:
    """Sends half-signed-in people to the verification or enrolment page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        path = request.path
        if (
            user is not None
            and user.is_authenticated
            and not path.startswith(ALWAYS_ALLOWED_PREFIXES)
        ):
            if services.second_factor_pending(user):
                target = reverse("accounts:verify")
                if path not in (target, reverse("accounts:logout")):
                    return redirect(f"{target}?next={request.get_full_path()}")
            elif services.second_factor_enrolment_required(user):
                allowed = (
                    reverse("accounts:second_factor"),
                    reverse("accounts:logout"),
                )
                if path not in allowed:
                    return redirect(allowed[0])
        return self.get_response(request)
