"""What the change pages share: fetching through the policy and the generic form page."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import Person, actor_of
from steward.changes.models import Change
from steward.core import policy
from steward.core.errors import NotFound


def require_viewer(user: Person) -> None:
    """Change pages exist only for roles that see changes (404 for everyone else)."""
    policy.require_model(user, Change, "view")


def get_change(request: HttpRequest, number: str) -> Change:
    """The change by number, through the policy (404 when unseen or unknown)."""
    change = (
        Change.objects.visible_to(actor_of(request))
        .select_related("requester", "team", "assignee", "service", "configuration_item")
        .filter(number=number)
        .first()
    )
    if change is None:
        raise NotFound("change not found")
    return change


def form_page(
    request: HttpRequest,
    *,
    title: str,
    form: Any,
    cancel: str,
    submit: str = "Save",
    intro: str = "",
    status: int = 200,
) -> HttpResponse:
    """One page with one form (most change pages are just that)."""
    if request.method == "POST" and form.errors:
        status = 400
    context = {"title": title, "form": form, "cancel": cancel, "submit": submit, "intro": intro}
    return render(request, "changes/form.html", context, status=status)
