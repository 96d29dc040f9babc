"""Named actions a target runs when a clock crosses a warning threshold or breaches.

``sla`` sits below the process apps, so it cannot call them. Apps register what they can do
at start-up (incidents registers ``escalate``, the service desk ``notify``); a target names
actions, and an unknown name is refused when the target is defined. This app registers the
actions every ticket kind supports: ``raise_priority`` and ``reassign_to_lead``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

#: ``handler(clock=..., ticket=..., threshold=...)`` returns what it did, in a few words.
Handler = Callable[..., str]


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    handler: Handler
    kinds: frozenset[str] = frozenset()  # ticket kinds it applies to; empty: every kind

    def applies_to(self, kind: str) -> bool:
        return not self.kinds or kind in self.kinds


_actions: dict[str, Action] = {}


def register(
    name: str, label: str, handler: Handler, *, kinds: frozenset[str] = frozenset()
) -> None:
    _actions[name] = Action(name, label, handler, kinds)


def get(name: str) -> Action | None:
    return _actions.get(name)


def choices() -> list[tuple[str, str]]:
    return sorted((a.name, a.label) for a in _actions.values())


def names() -> frozenset[str]:
    return frozenset(_actions)


def raise_priority(*, clock: Any, ticket: Any, threshold: int) -> str:
    """One step more urgent (the priority follows the matrix), as the system."""
    from steward.tickets import services as tickets

    if ticket.urgency <= 1:
        return "already at the highest urgency"
    before = ticket.priority
    updated = tickets.edit_ticket(actor=None, ticket=ticket, urgency=ticket.urgency - 1)
    return f"urgency raised; priority {before} -> {updated.priority}"


def reassign_to_lead(*, clock: Any, ticket: Any, threshold: int) -> str:
    """Give the ticket to its team's lead, as the system."""
    from steward.tickets import services as tickets

    team = ticket.team
    if team is None or team.lead_id is None or not team.lead.is_active:
        return "no team lead to reassign to"
    if ticket.assignee_id == team.lead_id:
        return "already with the team lead"
    tickets.edit_ticket(actor=None, ticket=ticket, assignee=team.lead)
    return f"reassigned to {team.lead}"


def register_builtin() -> None:
    register("raise_priority", "Raise the priority", raise_priority)
    register("reassign_to_lead", "Reassign to the team lead", reassign_to_lead)
