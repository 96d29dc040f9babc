"""``{% load steward_slots %}`` then ``{% slot "incidents.incident_form" %}`` (see core.slots)."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.loader import get_template
from django.utils.safestring import SafeString, mark_safe

from steward.core import slots

register = template.Library()


@register.simple_tag(takes_context=True)
def slot(context: Any, name: str) -> SafeString:
    """The fragments registered for ``name``, rendered with the page's context."""
    flat = context.flatten()
    request = context.get("request")
    parts = [get_template(t).render(flat, request) for t in slots.templates_for(name)]
    return mark_safe("".join(parts))  # noqa: S308  (rendered templates, escaped by Django)
