"""Named places in a lower app's templates where higher apps may add a fragment.

The incident form (``incidents``) shows suggested knowledge articles, but incidents may not
know the knowledge app exists. So the form names a slot, ``{% slot "incidents.incident_form" %}``,
and the knowledge app registers its template for it at start-up. Each fragment is rendered
with the page's context; an empty slot renders nothing.
"""

from __future__ import annotations

_slots: dict[str, list[str]] = {}


def register(slot: str, template: str) -> None:
    """Render ``template`` wherever a page names ``slot``."""
    templates = _slots.setdefault(slot, [])
    if template not in templates:
        templates.append(template)


def templates_for(slot: str) -> list[str]:
    return list(_slots.get(slot, []))
