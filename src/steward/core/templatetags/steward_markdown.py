"""``{% load steward_markdown %}`` then ``{{ ticket.description|markdown }}``."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from steward.core import markdown as markdown_module

register = template.Library()


@register.filter(name="markdown")
def markdown(text: str | None) -> SafeString:
    """Render Markdown ``text`` to sanitised HTML (empty for ``None``)."""
    return markdown_module.render(text or "")
