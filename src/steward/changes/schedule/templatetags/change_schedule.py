"""Template tags of the change schedule (used by its CAB agenda fragment)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.simple_tag
def change_conflicts(change: Any) -> Any:
    """The conflicts of ``change``'s planned period now (``None`` when it has none)."""
    from steward.changes.conflicts import evaluate

    if change is None or change.planned_start is None or change.planned_end is None:
        return None
    return evaluate(change, change.planned_start, change.planned_end)
