"""``{% load knowledge_links %}``: the articles linked to a configuration item or service, for
the fragment the knowledge app adds to the CMDB's item page (``cmdb.ci_detail`` slot)."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Q

from steward.knowledge.models import Article

register = template.Library()

#: Most articles listed on an item's page (the knowledge list filters the rest).
MAX_LISTED = 20


@register.simple_tag(takes_context=True)
def articles_for_item(context: Any, item: Any) -> list[Article]:
    """Articles about ``item`` (as a configuration item or as a service) the signed-in
    person may read, newest first; one query."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if item is None or user is None:
        return []
    found = (
        Article.objects.visible_to(user)
        .filter(Q(configuration_items=item) | Q(services=item))
        .distinct()
        .only("title", "state", "audience", "updated_at")
        .order_by("-updated_at", "-id")
    )
    return list(found[:MAX_LISTED])
