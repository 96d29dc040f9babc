"""Suggestions for ``accounts.fields.PersonField``: who matches what was typed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import Person
from steward.core.errors import NotFound

#: Suggestions shown at most; typing more narrows them.
LIMIT = 10
MIN_CHARS = 2


@login_required
def person_suggest(request: HttpRequest) -> HttpResponse:
    """``<option>`` rows for the people the user may see whose name or address starts with
    the text (staff only: requesters choose nobody)."""
    user = request.user
    assert isinstance(user, Person)
    if not user.is_staff_member and not user.is_superuser:
        raise NotFound("page not found")
    # htmx sends the box's value under the field's own name (requester, caller ...)
    text = " ".join(str(value) for value in request.GET.values()).strip()
    people: list[Person] = []
    if len(text) >= MIN_CHARS:
        people = list(
            Person.objects.visible_to(user)
            .active()
            .filter(Q(email__istartswith=text) | Q(full_name__istartswith=text))
            .order_by("full_name", "id")
            .only("email", "full_name")[:LIMIT]
        )
    return render(request, "accounts/_person_options.html", {"people": people})
