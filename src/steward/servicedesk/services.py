"""What a requester does in the self-service portal. Actor first, one transaction each.

These wrap the ticket and incident services so a report with its files, or a reply with its
files, is all or nothing. Two rules live here because the workflows give the requester no
transition of their own for them:

* ``confirm_resolution``: the requester of a resolved ticket may accept the resolution,
  which closes it (the workflows' "Close" needs the service desk's ``change`` permission, so
  the close runs as the system and the requester's confirmation is audited separately).
* ``reject_resolution``: reopening goes through the transition the requester is allowed (for
  incidents the workflow lets the requester reopen inside the reopening window); where the
  workflow gives them none, it is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

from django.db import transaction

from steward.accounts.models import Person
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, policy, workflow
from steward.core.errors import Forbidden, RuleViolation
from steward.core.workflow import Category, Transition
from steward.incidents import services as incidents
from steward.incidents.choices import IncidentContactType
from steward.incidents.models import Incident
from steward.tickets import services as tickets
from steward.tickets.choices import Urgency
from steward.tickets.models import Comment, Ticket, specific

#: A file as the portal receives it: its content and the name the person gave it.
Upload = tuple[IO[bytes], str]


def _attach(
    *, actor: Person, ticket: Ticket, files: Sequence[Upload], comment: Comment | None
) -> None:
    for file, filename in files:
        try:
            tickets.add_attachment(
                actor=actor, ticket=ticket, file=file, filename=filename, comment=comment
            )
        except RuleViolation as exc:
            raise RuleViolation(
                {"attachments": [f"{filename}: {m}" for m in exc.messages]}
            ) from exc


@transaction.atomic
def report_incident(
    *,
    actor: Person,
    title: str,
    description: str = "",
    service: ConfigurationItem | None = None,
    urgency: int = Urgency.LOW,
    files: Sequence[Upload] = (),
) -> Incident:
    """The requester reports an incident from the portal, with files; all or nothing."""
    values: dict[str, Any] = {"description": description, "urgency": urgency}
    if service is not None:
        values["service"] = service
    incident = incidents.open_incident(
        actor=actor,
        title=title,
        requester=actor,
        contact_type=IncidentContactType.PORTAL,
        **values,
    )
    _attach(actor=actor, ticket=incident, files=files, comment=None)
    return incident


@transaction.atomic
def reply(*, actor: Person, ticket: Ticket, body: str, files: Sequence[Upload] = ()) -> Comment:
    """A public reply from the portal, with files. An incident's requester replying to it
    while resolved reopens it inside its reopening window (the incident service decides)."""
    ticket = specific(ticket)
    if isinstance(ticket, Incident):
        comment = incidents.comment_on_incident(actor=actor, incident=ticket, body=body)
    else:
        comment = tickets.add_comment(actor=actor, ticket=ticket, body=body)
    _attach(actor=actor, ticket=ticket, files=files, comment=comment)
    return comment


def _requester_of(actor: Person, ticket: Ticket) -> None:
    policy.require(actor, "view", ticket)
    if ticket.requester_id != actor.pk:
        raise Forbidden("Only the person who asked for this ticket may do this.")


def closing_step(ticket: Ticket) -> Transition | None:
    """The workflow's step from the ticket's resolved state to a closed one, if any."""
    if ticket.state_category != Category.RESOLVED:
        return None
    flow = workflow.workflow_for(ticket._meta.model)
    for step in flow.transitions_from(ticket.state):
        target = flow.state(step.target)
        if target is not None and target.category == Category.CLOSED and not step.requires:
            return step
    return None


def reopening_step(ticket: Ticket, actor: Person) -> Transition | None:
    """The transition back to work that ``actor`` may make from a resolved (or, where there is
    no resolved state, closed) ticket, if the workflow gives them one."""
    if ticket.state_category not in (Category.RESOLVED, Category.CLOSED):
        return None
    in_window = getattr(ticket, "can_reopen_by_requester", None)
    if ticket.requester_id == actor.pk and callable(in_window) and not in_window():
        return None  # the reopening window has passed (the workflow's guard would refuse)
    flow = workflow.workflow_for(ticket._meta.model)
    for step in workflow.allowed_transitions(ticket, actor):
        target = flow.state(step.target)
        if target is not None and target.category in Category.OPEN and not step.requires:
            return step
    return None


@transaction.atomic
def confirm_resolution(*, actor: Person, ticket: Ticket) -> Ticket:
    """The requester accepts the resolution: the ticket closes."""
    ticket = specific(ticket)
    _requester_of(actor, ticket)
    step = closing_step(ticket)
    if step is None:
        raise RuleViolation({"state": "Only a resolved ticket can be confirmed."})
    closed: Ticket = tickets.transition_ticket(actor=None, ticket=ticket, to=step.target)
    audit.record(
        actor=actor,
        action="ticket.resolution_confirmed",
        obj=closed,
        changes={"state": [ticket.state, closed.state]},
        object_repr=closed.number,
    )
    return closed


@transaction.atomic
def reject_resolution(*, actor: Person, ticket: Ticket, reason: str) -> Ticket:
    """The requester says the problem is not solved: their reason is a reply, and the ticket
    goes back to work through the reopening the workflow allows them."""
    ticket = specific(ticket)
    _requester_of(actor, ticket)
    if not reason.strip():
        raise RuleViolation({"reason": "Tell us what is still wrong."})
    step = reopening_step(ticket, actor)
    if step is None:
        raise Forbidden("This ticket cannot be reopened from the portal; please reply instead.")
    tickets.add_comment(actor=actor, ticket=ticket, body=reason)
    reopened: Ticket = tickets.transition_ticket(actor=actor, ticket=ticket, to=step.target)
    audit.record(
        actor=actor,
        action="ticket.resolution_rejected",
        obj=reopened,
        changes={"state": [ticket.state, reopened.state]},
        object_repr=reopened.number,
    )
    return reopened
