"""Requesters use the self-service portal, never the agent UI.

A signed-in person holding no role beyond requester who asks for a page of the agent UI is
sent to the portal when there is a portal page for it (the home page, "my tickets", a
ticket's page by its number, e.g. from an e-mail, reporting) and refused (403) otherwise,
the agent's queue included. Their own account pages,
the API (which scopes every row itself), the portal and the rating links stay open. Which rows
anybody sees remains the policy's business; this only decides which interface they use.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from steward.core import conf

#: Open to requesters: the portal, signing in and out, their own profile, the API, and the
#: infrastructure endpoints.
OPEN_PREFIXES = (
    "/portal/",
    "/accounts/login/",
    "/accounts/logout/",
    "/accounts/profile/",
    "/api/",
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
)
TICKET_PAGE = re.compile(r"^/tickets/(?P<number>[A-Za-z]+[0-9]+)/$")


def uses_portal(user: object) -> bool:
    """Does this signed-in person belong in the portal (no role beyond requester)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return False
    return not bool(getattr(user, "is_staff_member", True))


def portal_target(path: str) -> str | None:
    """The portal page standing in for an agent-UI page, if there is one."""
    if path in ("/", "/tickets/mine/"):
        return reverse("portal:home")
    if path == "/tickets/new/":
        return reverse("portal:report")
    match = TICKET_PAGE.match(path)
    if match and match["number"] not in ("mine", "new"):
        return reverse("portal:ticket", args=[match["number"].upper()])
    return None


class RequesterPortalMiddleware:
    """Keeps requesters in the portal (see the module doc)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if (
            conf.get("PORTAL_FOR_REQUESTERS")
            and not path.startswith(OPEN_PREFIXES)
            and uses_portal(getattr(request, "user", None))
        ):
            target = portal_target(path) if request.method in ("GET", "HEAD") else None
            if target is None:
                return render(request, "portal/403.html", status=403)
            return redirect(target)
        return self.get_response(request)
