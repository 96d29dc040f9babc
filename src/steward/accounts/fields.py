"""Choosing a person in a form among thousands: an e-mail box with suggestions, not a list.

A ``<select>`` of every person a service desk serves is ten thousand options (a second to
render, unusable to pick from). ``PersonField`` is a text box that takes an e-mail address
(or, for scripts and tests, a person's id) and suggests matches as one types (htmx asks
``accounts:person_suggest``; without JavaScript, typing the address works the same). It only
accepts people of its queryset, which each form narrows to what the user may see.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.urls import reverse

from steward.accounts.models import Person

DATALIST_ID = "person-suggestions"


class PersonInput(forms.TextInput):
    """A text box bound to the shared suggestion list, refreshed while typing."""

    input_type = "text"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(
            {
                "list": DATALIST_ID,
                "autocomplete": "off",
                "placeholder": "name@example.org",
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{DATALIST_ID}",
                "hx-swap": "innerHTML",
                "hx-sync": "this:replace",
                **(attrs or {}),
            }
        )

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        widget_attrs = context["widget"]["attrs"]
        widget_attrs["hx-get"] = reverse("accounts:person_suggest")
        widget_attrs["name"] = name
        return context


class PersonField(forms.Field):
    """A person of ``queryset``, named by e-mail address (any case) or id."""

    widget = PersonInput
    default_error_messages = {
        "unknown": "Nobody with this e-mail address is within your reach.",
    }

    def __init__(self, *, queryset: QuerySet[Person] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "Type a name or an e-mail address.")
        super().__init__(**kwargs)
        self.queryset = queryset if queryset is not None else Person.objects.none()

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Person):
            return value.email
        if isinstance(value, int) or (isinstance(value, str) and value.isdigit()):
            email = self.queryset.filter(pk=int(value)).values_list("email", flat=True).first()
            return email or value
        return value

    def to_python(self, value: Any) -> Person | None:
        if isinstance(value, Person):
            return value
        text = str(value or "").strip()
        if not text:
            return None
        if text.isdigit():
            person = self.queryset.filter(pk=int(text)).first()
        else:
            person = self.queryset.filter(email__iexact=text).first()
        if person is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return person

    def has_changed(self, initial: Any, data: Any) -> bool:
        before = self.prepare_value(initial) or ""
        after = self.prepare_value(data) or ""
        return str(before).lower() != str(after).strip().lower()
