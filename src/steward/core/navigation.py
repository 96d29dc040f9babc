"""The navigation, grouped by ITIL discipline. Apps register their entries at start-up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

#: The groups, in the order the menu shows them.
GROUPS = (
    "Service desk",
    "Service support",
    "Service delivery",
    "Catalog and knowledge",
    "Governance",
    "Administration",
)


@dataclass(frozen=True)
class NavEntry:
    """A menu entry: shown to people for whom ``visible(user)`` is true."""

    group: str
    label: str
    url_name: str
    visible: Callable[[Any], bool]
    order: int = 100


_entries: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if entry.group not in GROUPS:
        raise ValueError(f"Unknown navigation group {entry.group!r}")
    if all(e.url_name != entry.url_name for e in _entries):
        _entries.append(entry)


def register_for_permission(
    group: str, label: str, url_name: str, permission: str, *, order: int = 100
) -> None:
    """An entry shown to people holding ``permission`` (``app_label.codename``)."""
    register(NavEntry(group, label, url_name, lambda user: bool(user.has_perm(permission)), order))


def menu_for(user: Any, current_path: str = "") -> list[dict[str, Any]]:
    """The groups with the entries this person may use; empty groups are left out."""
    groups: list[dict[str, Any]] = []
    for group in GROUPS:
        items = []
        for entry in sorted((e for e in _entries if e.group == group), key=lambda e: e.order):
            if not entry.visible(user):
                continue
            url = reverse(entry.url_name)
            items.append({"label": entry.label, "url": url, "active": current_path.startswith(url)})
        if items:
            groups.append({"name": group, "items": items})
    return groups
