"""Named guards of the ticket workflows (registered in ``apps.py``)."""

from __future__ import annotations

from typing import Any

from steward.core.workflow import Category
from steward.tickets.choices import LinkType
from steward.tickets.models import Ticket


def children_resolved(ticket: Ticket, actor: Any) -> str | None:
    """A parent ticket is resolved only after all its children are."""
    open_children = Ticket.objects.filter(
        links_in__source=ticket,
        links_in__link_type=LinkType.PARENT_OF,
        state_category__in=Category.OPEN,
    ).values_list("number", flat=True)
    numbers = sorted(open_children)
    if numbers:
        return f"Resolve the child tickets first: {', '.join(numbers)}."
    return None
