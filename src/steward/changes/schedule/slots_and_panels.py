"""What the schedule adds to pages of the change app: the "check schedule" panel on a
change's page, the schedule column of the CAB agenda (slot ``changes.cab_agenda_row``: its
fragment reads the conflicts through the ``change_conflicts`` template tag), and the menu."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from steward.core import policy


def change_panel(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """The schedule panel of a change: its period, and a button that checks it (htmx)."""
    from steward.changes.models import Change

    change = Change.objects.filter(pk=ticket.pk).first()
    if change is None or not policy.can(request.user, "view", change):
        return None
    return {"change": change, "check_url": _check_url(change)}


def _check_url(change: Any) -> str:
    from django.urls import reverse

    return reverse("change_schedule:change_conflicts", args=[change.number])


def register() -> None:
    from steward.core import slots
    from steward.tickets import panels

    panels.register("changes.change", "changes/schedule/_change_panel.html", change_panel)
    slots.register("changes.cab_agenda_row", "changes/schedule/_cab_agenda_row.html")
    _register_navigation()


def _register_navigation() -> None:
    from steward.core.navigation import register_for_permission as register

    register(
        "Service support",
        "Change calendar",
        "change_schedule:calendar",
        "changes.view_change",
        order=6,
    )
