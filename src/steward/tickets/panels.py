"""Panels a ticket kind adds to the shared ticket page (an incident's major-incident panel).

The kind's app registers, at start-up, a template and a function giving that template its
context; the ticket page includes each panel of the ticket's kind under its facts. The
function fetches through the policy like any view and returns ``None`` to show nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

PanelContext = Callable[[HttpRequest, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class Panel:
    template: str
    context: PanelContext


_panels: dict[str, list[Panel]] = {}


def register(kind: str, template: str, context: PanelContext) -> None:
    """Show ``template`` on the pages of tickets of ``kind`` (``"incidents.incident"``)."""
    panels = _panels.setdefault(kind, [])
    if all(panel.template != template for panel in panels):
        panels.append(Panel(template, context))


def panels_for(request: HttpRequest, ticket: Any) -> list[dict[str, Any]]:
    """The panels of the ticket's kind, each as ``{"template": ..., "context": {...}}``."""
    shown = []
    for panel in _panels.get(ticket.kind, []):
        context = panel.context(request, ticket)
        if context is not None:
            shown.append({"template": panel.template, "context": context})
    return shown
