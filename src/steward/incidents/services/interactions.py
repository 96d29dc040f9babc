"""Interactions: contacts with the service desk and how they ended. Actor first, audited.

A contact is logged while it happens (``log_interaction``) and ends one way: resolved on
first contact (with what was done), linked to an incident (raised from it or an existing
one), or abandoned (the caller hung up, the chat went quiet).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Organisation, Person, Team
from steward.core import audit, markdown, numbering, policy
from steward.core.errors import RuleViolation
from steward.incidents.choices import (
    CHANNEL_CONTACT_TYPES,
    InteractionChannel,
    InteractionOutcome,
)
from steward.incidents.models import Incident, Interaction

FIELDS = (
    "channel",
    "caller",
    "agent",
    "organisation",
    "team",
    "summary",
    "outcome",
    "incident",
    "ended_at",
)


def _check_markdown(field: str, text: str) -> None:
    try:
        markdown.validate(text)
    except ValidationError as exc:
        raise RuleViolation({field: exc.messages}) from exc


def default_team(agent: Person) -> Team | None:
    """The desk team an agent's contacts count for: their first team by name."""
    team: Team | None = (
        Team.objects.filter(memberships__person=agent, is_active=True).order_by("name").first()
    )
    return team


@transaction.atomic
def log_interaction(
    *,
    actor: Person,
    caller: Person,
    channel: str,
    summary: str,
    notes: str = "",
    started_at: datetime | None = None,
    team: Team | None = None,
    organisation: Organisation | None = None,
) -> Interaction:
    """Log a contact taken by ``actor`` (the agent); it stays open until it ends."""
    policy.require_add(actor, Interaction)
    if channel not in InteractionChannel.values:
        raise RuleViolation({"channel": "Choose call, chat, walk-in or e-mail."})
    if not summary.strip():
        raise RuleViolation({"summary": "Say what the contact is about."})
    _check_markdown("notes", notes)
    if not policy.can(actor, "view", caller):
        raise RuleViolation({"caller": "Choose one you can see."})
    if team is not None and not team.is_active:
        raise RuleViolation({"team": f"{team} is not active."})
    now = timezone.now()
    if started_at is not None and started_at > now:
        raise RuleViolation({"started_at": "A contact cannot start in the future."})
    interaction = Interaction(
        number=numbering.next_number(Interaction.sequence_name, Interaction.number_prefix),
        channel=channel,
        caller=caller,
        agent=actor,
        organisation=organisation or caller.organisation,
        team=team if team is not None else default_team(actor),
        summary=summary.strip(),
        notes=notes,
        started_at=started_at or now,
    )
    interaction.full_clean()
    interaction.save()
    audit.record(
        actor=actor,
        action="interaction.created",
        obj=interaction,
        changes=audit.diff({}, audit.snapshot(interaction, FIELDS)),
        object_repr=interaction.number,
    )
    return interaction


def _lock(actor: Person | None, interaction: Interaction) -> Interaction:
    locked: Interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if not locked.is_open:
        raise RuleViolation(
            {"outcome": f"{locked.number} has ended ({locked.get_outcome_display().lower()})."}
        )
    return locked


def _end(
    *, actor: Person | None, interaction: Interaction, outcome: str, **values: Any
) -> Interaction:
    before = audit.snapshot(interaction, (*FIELDS, "resolution"))
    interaction.outcome = outcome
    interaction.ended_at = timezone.now()
    for name, value in values.items():
        setattr(interaction, name, value)
    interaction.full_clean()
    interaction.save()
    audit.record(
        actor=actor,
        action=f"interaction.{outcome}",
        obj=interaction,
        changes=audit.diff(before, audit.snapshot(interaction, (*FIELDS, "resolution"))),
        object_repr=interaction.number,
    )
    return interaction


@transaction.atomic
def resolve_on_first_contact(
    *, actor: Person | None, interaction: Interaction, resolution: str
) -> Interaction:
    """The desk solved it while the caller was there; ``resolution`` says how."""
    locked = _lock(actor, interaction)
    if not resolution.strip():
        raise RuleViolation({"resolution": "Say how it was resolved."})
    _check_markdown("resolution", resolution)
    return _end(
        actor=actor,
        interaction=locked,
        outcome=InteractionOutcome.RESOLVED,
        resolution=resolution,
    )


@transaction.atomic
def raise_incident_from_interaction(
    *, actor: Person, interaction: Interaction, title: str = "", **values: Any
) -> Interaction:
    """Open an incident for the caller from the contact (its channel is the contact type),
    and link the contact to it. ``values`` go to ``open_incident`` (category, service...)."""
    from steward.incidents.services import open_incident

    locked = _lock(actor, interaction)
    values.setdefault("description", locked.notes)
    incident = open_incident(
        actor=actor,
        title=(title or locked.summary).strip(),
        requester=locked.caller,
        contact_type=CHANNEL_CONTACT_TYPES[locked.channel],
        **values,
    )
    return _end(
        actor=actor, interaction=locked, outcome=InteractionOutcome.LINKED, incident=incident
    )


@transaction.atomic
def link_interaction(*, actor: Person, interaction: Interaction, incident: Incident) -> Interaction:
    """The contact is about an incident that already exists ("me too", a follow-up)."""
    locked = _lock(actor, interaction)
    if not policy.can(actor, "view", incident):
        raise RuleViolation({"incident": "Choose an incident you can see."})
    return _end(
        actor=actor, interaction=locked, outcome=InteractionOutcome.LINKED, incident=incident
    )


@transaction.atomic
def abandon_interaction(
    *, actor: Person | None, interaction: Interaction, reason: str = ""
) -> Interaction:
    """The contact ended before anything could be done (hung up, left the chat)."""
    locked = _lock(actor, interaction)
    _check_markdown("resolution", reason)
    return _end(
        actor=actor,
        interaction=locked,
        outcome=InteractionOutcome.ABANDONED,
        resolution=reason,
    )
