"""What the CMDB's pages share: the signed-in person, pages of rows, the form round trip."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from steward.cmdb.forms import apply_violation
from steward.core.errors import RuleViolation

PER_PAGE = 50


def save_form(
    request: HttpRequest,
    form: forms.Form,
    save: Callable[[], Any],
    *,
    done: str,
    template: str,
    context: dict[str, Any],
    next_url: Callable[[Any], str] | None = None,
) -> HttpResponse:
    """On a valid POST call ``save`` (one service) and go to the saved object; else the form
    again, with the service's refusal shown field by field and nothing written."""
    if request.method == "POST" and form.is_valid():
        try:
            saved = save()
        except RuleViolation as exc:
            apply_violation(form, exc)
        else:
            messages.success(request, f"{saved} has been {done}.")
            return redirect(next_url(saved) if next_url else saved)
    status = 400 if request.method == "POST" else 200
    return render(request, template, {"form": form, **context}, status=status)
