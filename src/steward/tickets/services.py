"""Every write to a ticket and what hangs off it. Actor first, one transaction, audited.

Ticket kinds call ``create_ticket`` with their model and extra fields, and change states only
through ``transition_ticket`` (which is ``core.workflow.transition``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import IO, Any, BinaryIO, TypeVar, cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, conf, markdown, numbering, policy, uploads, workflow
from steward.core.errors import Conflict, Forbidden, RuleViolation
from steward.core.models import clean_changed
from steward.tickets import search
from steward.tickets.choices import DEFAULT_MATRIX, LinkType
from steward.tickets.models import (
    Attachment,
    Comment,
    PriorityRule,
    Ticket,
    TicketLink,
    TimeEntry,
    Watcher,
    specific,
)

T = TypeVar("T", bound=Ticket)

#: What the requester may say about their own ticket; the rest is the service desk's.
REQUESTER_FIELDS = frozenset(
    {"title", "description", "impact", "urgency", "service", "configuration_item"}
)
STAFF_FIELDS = frozenset({"requester", "organisation", "team", "assignee"})
EDITABLE_FIELDS = REQUESTER_FIELDS | STAFF_FIELDS
AUDITED_FIELDS = (
    "number",
    "title",
    "description",
    "requester",
    "organisation",
    "assignee",
    "team",
    "service",
    "configuration_item",
    "impact",
    "urgency",
    "priority",
    "state",
)


# --- priority --------------------------------------------------------------------------------


def priority_matrix() -> dict[tuple[int, int], int]:
    """The whole matrix in one query: the administrators' cells over ITIL's defaults."""
    cells = dict(DEFAULT_MATRIX)
    for impact, urgency, priority in PriorityRule.objects.values_list(
        "impact", "urgency", "priority"
    ):
        cells[(impact, urgency)] = priority
    return cells


def priority_for(impact: int, urgency: int) -> int:
    """The matrix's priority for impact x urgency (the administrators' matrix, or ITIL's)."""
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).values_list(
        "priority", flat=True
    )
    value = rule.first()
    return value if value is not None else DEFAULT_MATRIX[(impact, urgency)]


@transaction.atomic
def set_priority_rule(
    *, actor: Person | None, impact: int, urgency: int, priority: int
) -> PriorityRule:
    """Change one cell of the priority matrix (open tickets keep their priority)."""
    if actor is not None and not policy.has_model_permission(actor, PriorityRule, "change"):
        raise Forbidden("Only administrators may change the priority matrix.")
    rule, _ = PriorityRule.objects.select_for_update().get_or_create(
        impact=impact,
        urgency=urgency,
        defaults={"priority": DEFAULT_MATRIX[(impact, urgency)]},
    )
    before = rule.priority
    rule.priority = priority
    rule.full_clean()
    rule.save()
    if before != priority:
        audit.record(
            actor=actor,
            action="priority_rule.changed",
            obj=rule,
            changes={"priority": [before, priority]},
        )
    return rule


# --- checks shared by create and update -------------------------------------------------------


def _check_text(field: str, text: str) -> None:
    try:
        markdown.validate(text)
    except ValidationError as exc:  # the same clear message, on the field it is about
        raise RuleViolation({field: exc.messages}) from exc


def fields_refused_to(actor: Person, model: type[Ticket], names: Iterable[str]) -> set[str]:
    """Of ``names``, the fields ``actor`` may not set when opening a ticket: routing it (and
    opening it for somebody else) is the service desk's."""
    return set() if _is_staff(actor, model) else set(names) & STAFF_FIELDS


def _is_staff(actor: Person | None, model: type[Ticket]) -> bool:
    return actor is None or policy.has_model_permission(actor, model, "change")


def _check_parties(actor: Person | None, values: dict[str, Any]) -> None:
    """Team, assignee, service and CI must exist for the actor and fit together."""
    team: Team | None = values.get("team")
    assignee: Person | None = values.get("assignee")
    if assignee is not None:
        if not assignee.is_active or not assignee.is_staff_member:
            raise RuleViolation({"assignee": "Only active staff can be assigned."})
        if team is not None and not team.memberships.filter(person=assignee).exists():
            raise RuleViolation({"assignee": f"{assignee} is not a member of {team}."})
    if team is not None and not team.is_active:
        raise RuleViolation({"team": f"{team} is not active."})
    service: ConfigurationItem | None = values.get("service")
    if service is not None and not service.is_service:
        raise RuleViolation({"service": f"{service} is not a service."})
    if actor is not None:
        for name in ("service", "configuration_item", "team", "assignee", "requester"):
            value = values.get(name)
            if value is not None and not policy.can(actor, "view", value):
                raise RuleViolation({name: "Choose one you can see."})


# --- tickets ----------------------------------------------------------------------------------


@transaction.atomic
def create_ticket(
    *,
    actor: Person | None,
    model: type[Ticket] = Ticket,
    title: str,
    requester: Person | None = None,
    **values: Any,
) -> Any:
    """Open a ticket of ``model``'s kind: numbered, in the workflow's first state, audited."""
    extra = {k: v for k, v in values.items() if k not in EDITABLE_FIELDS}
    known_extra = {f.name for f in model._meta.get_fields()} - {
        f.name for f in Ticket._meta.get_fields()
    }
    unknown = set(extra) - known_extra
    if unknown:
        raise RuleViolation({name: "This field cannot be set." for name in sorted(unknown)})
    requester = requester or actor
    if requester is None:
        raise RuleViolation({"requester": "Who is this ticket for?"})
    if actor is not None:
        policy.require_add(actor, model, owner=requester)
        refused = fields_refused_to(actor, model, values)
        if refused:
            raise Forbidden(f"Only the service desk may set {', '.join(sorted(refused))}.")
    if not workflow.is_enabled(model):
        raise RuleViolation(
            {"__all__": f"{model._meta.verbose_name_plural} are off in this process profile."}
        )
    _check_text("description", values.get("description", ""))
    _check_parties(actor, {**values, "requester": requester if actor != requester else None})
    ticket = model(title=title, requester=requester, **values)
    ticket.kind = model._meta.label_lower
    trusted = ["number"]  # from the kind's sequence
    if ticket.organisation_id is None and model.takes_requester_organisation:
        ticket.organisation_id = requester.organisation_id
        trusted.append("organisation")  # read off the requester
    ticket.priority = priority_for(ticket.impact, ticket.urgency)
    now = timezone.now()
    ticket.opened_at = ticket.updated_at = now
    workflow.apply_state(ticket, workflow.initial_state(model), now=now)
    ticket.number = numbering.next_number(model.sequence_name, model.number_prefix)
    clean_changed(ticket, trusted=trusted)
    ticket.save()
    search.index_new(ticket)
    audit.record(
        actor=actor,
        action=f"{model._meta.model_name}.created",
        obj=ticket,
        changes=audit.diff({}, audit.snapshot(ticket, AUDITED_FIELDS)),
        object_repr=ticket.number,
    )
    return ticket


@transaction.atomic
def update_ticket(
    *, actor: Person | None, ticket: T, expected_version: int | None = None, **changes: Any
) -> T:
    """Change a ticket's fields (never its state: that is ``transition_ticket``).

    ``expected_version`` is the version the editor read; a stale one raises ``Conflict`` and
    changes nothing.
    """
    model = ticket._meta.model
    unknown = set(changes) - EDITABLE_FIELDS
    if "state" in changes:
        raise RuleViolation({"state": "States change through transitions only."})
    if unknown:
        raise RuleViolation({name: "This field cannot be changed." for name in sorted(unknown)})
    locked: Any = model._default_manager.select_for_update().get(pk=ticket.pk)
    if actor is not None:
        policy.require(actor, "view", locked)
        may_change = policy.can(actor, "change", locked)
        is_requester = locked.requester_id == actor.pk
        if not may_change and not (is_requester and set(changes) <= REQUESTER_FIELDS):
            raise Forbidden("You may not change this ticket.")
        if not may_change and not locked.is_open:
            raise Forbidden("This ticket is no longer open.")
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    if "description" in changes:
        _check_text("description", changes["description"])
    merged = {"team": locked.team, "assignee": locked.assignee, **changes}
    _check_parties(actor, {k: v for k, v in merged.items() if k in changes or k == "team"})
    if "team" in changes and "assignee" not in changes and locked.assignee is not None:
        team = changes["team"]
        if team is None or not team.memberships.filter(person=locked.assignee).exists():
            changes["assignee"] = None  # the new team decides who works on it
    if "assignee" in changes and changes["assignee"] is not None and merged.get("team"):
        _check_parties(actor, {"team": merged["team"], "assignee": changes["assignee"]})
    before = audit.snapshot(locked, AUDITED_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.priority = priority_for(locked.impact, locked.urgency)
    after = audit.snapshot(locked, AUDITED_FIELDS)
    changed = audit.diff(before, after)
    if not changed:
        return locked  # type: ignore[no-any-return]
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    if {"title", "description"} & set(changed):
        search.reindex(locked.pk)
    audit.record(
        actor=actor,
        action=f"{model._meta.model_name}.updated",
        obj=locked,
        changes=changed,
        object_repr=locked.number,
    )
    return locked  # type: ignore[no-any-return]


#: Per ticket kind (``app_label.model``), the service that edits it in place of
#: ``update_ticket``: a kind may count or refuse some changes (an incident counts a change of
#: team as a reassignment). Registered by the kind's app at start-up.
_editors: dict[str, Callable[..., Any]] = {}


def register_editor(kind: str, editor: Callable[..., Any]) -> None:
    """``editor(actor=..., ticket=<the kind's instance>, expected_version=..., **changes)``."""
    _editors[kind] = editor


def edit_ticket(
    *, actor: Person | None, ticket: Ticket, expected_version: int | None = None, **changes: Any
) -> Any:
    """Change a ticket of any kind through its kind's own service (``register_editor``).

    The generic entrances (the ticket page's edit form, ``PATCH /api/v1/tickets/``) call this,
    so a ticket edited there obeys the same rules as through its kind's own entrances.
    """
    editor = _editors.get(ticket.kind)
    if editor is None:
        return update_ticket(
            actor=actor, ticket=ticket, expected_version=expected_version, **changes
        )
    return editor(
        actor=actor, ticket=specific(ticket), expected_version=expected_version, **changes
    )


def transition_ticket(
    *,
    actor: Person | None,
    ticket: T,
    to: str,
    values: dict[str, Any] | None = None,
    expected_version: int | None = None,
    held: bool = False,
) -> T:
    """Move a ticket to another state: the workflow engine decides and audits.

    The ticket moves as its own kind (an incident's base row follows the incident workflow).
    ``held`` as in ``workflow.transition``: the ticket was written by this transaction.
    """
    if values and "resolution" in values:
        _check_text("resolution", values["resolution"])
    result: T = workflow.transition(
        specific(ticket),
        to=to,
        actor=actor,
        values=values,
        expected_version=expected_version,
        held=held,
    )
    return result


# --- comments and attachments -----------------------------------------------------------------


def works_on(actor: Person, ticket: Ticket) -> bool:
    """Is ``actor`` on the service desk's side of ``ticket`` (not only its requester)?"""
    return policy.can(actor, "change", ticket) or policy.has_model_permission(actor, Comment, "add")


def may_add_to(actor: Person, ticket: Ticket) -> bool:
    """May ``actor`` add anything (replies, files, links, time) to a ticket they can see?

    The entrances ask this before parsing a request; each service then checks its details.
    """
    return ticket.requester_id == actor.pk or works_on(actor, ticket)


def _may_comment(actor: Person, ticket: Ticket, *, is_public: bool) -> None:
    policy.require(actor, "view", ticket)
    if works_on(actor, ticket):
        return
    if ticket.requester_id == actor.pk and is_public:
        return
    if not is_public:
        raise Forbidden("Only the service desk writes work notes.")
    raise Forbidden("You may not comment on this ticket.")


@transaction.atomic
def add_comment(*, actor: Person, ticket: Ticket, body: str, is_public: bool = True) -> Comment:
    """A public reply or an internal work note. The first staff reply is the first response."""
    _may_comment(actor, ticket, is_public=is_public)
    if not body.strip():
        raise RuleViolation({"body": "Write something."})
    _check_text("body", body)
    comment = Comment.objects.create(ticket=ticket, author=actor, body=body, is_public=is_public)
    stamps: dict[str, Any] = {"updated_at": timezone.now()}
    if (
        is_public
        and actor.pk != ticket.requester_id
        and ticket.first_response_at is None
        and policy.has_model_permission(actor, Ticket, "change")
    ):
        stamps["first_response_at"] = comment.created_at
    Ticket.objects.filter(pk=ticket.pk).update(**stamps)
    search.reindex(ticket.pk)
    for name, value in stamps.items():
        setattr(ticket, name, value)
    audit.record(
        actor=actor,
        action="ticket.commented" if is_public else "ticket.work_noted",
        obj=ticket,
        changes={"comment": comment.pk, "public": is_public},
        object_repr=ticket.number,
    )
    return comment


@transaction.atomic
def add_attachment(
    *,
    actor: Person,
    ticket: Ticket,
    file: IO[bytes],
    filename: str,
    is_public: bool = True,
    comment: Comment | None = None,
) -> Attachment:
    """Attach a file, checked by its content; refused files leave nothing behind."""
    _may_comment(actor, ticket, is_public=is_public)
    inspected = uploads.inspect(
        cast(BinaryIO, file), filename, max_bytes=conf.get("ATTACHMENT_MAX_BYTES")
    )
    file.seek(0)
    attachment = Attachment(
        ticket=ticket,
        comment=comment,
        filename=inspected.filename,
        content_type=inspected.content_type,
        size=inspected.size,
        sha256=inspected.sha256,
        is_public=is_public,
        uploaded_by=actor,
    )
    attachment.file.save(inspected.filename, ContentFile(file.read()), save=False)
    attachment.save()
    audit.record(
        actor=actor,
        action="ticket.attached",
        obj=ticket,
        changes={
            "attachment": attachment.pk,
            "filename": attachment.filename,
            "size": attachment.size,
            "sha256": attachment.sha256,
            "public": is_public,
        },
        object_repr=ticket.number,
    )
    return attachment


# --- links, watchers, time --------------------------------------------------------------------


def _ancestors(ticket: Ticket) -> set[int]:
    """Ids of every ticket above ``ticket`` through parent links."""
    seen: set[int] = set()
    frontier = {ticket.pk}
    while frontier:
        parents = set(
            TicketLink.objects.filter(
                target__in=frontier, link_type=LinkType.PARENT_OF
            ).values_list("source_id", flat=True)
        )
        frontier = parents - seen
        seen |= parents
    return seen


def _causes(ticket: Ticket) -> set[int]:
    """Ids of every ticket ``ticket`` is (transitively) caused by."""
    seen: set[int] = set()
    frontier = {ticket.pk}
    while frontier:
        causes = set(
            TicketLink.objects.filter(
                source__in=frontier, link_type=LinkType.CAUSED_BY
            ).values_list("target_id", flat=True)
        )
        frontier = causes - seen
        seen |= causes
    return seen


@transaction.atomic
def link_tickets(*, actor: Person, source: Ticket, target: Ticket, link_type: str) -> TicketLink:
    """ "``source`` <link_type> ``target``"; no self-links, repeats, or cycles of parents
    or of causes."""
    policy.require(actor, "change", source)
    policy.require(actor, "view", target)
    if link_type not in LinkType.values:
        raise RuleViolation({"link_type": f"Unknown link type {link_type!r}."})
    if source.pk == target.pk:
        raise RuleViolation({"target": "A ticket cannot be linked to itself."})
    if TicketLink.objects.filter(source=source, target=target, link_type=link_type).exists():
        raise RuleViolation({"target": "These tickets are already linked that way."})
    if link_type == LinkType.PARENT_OF:
        if target.pk in _ancestors(source) or source.pk == target.pk:
            raise RuleViolation({"target": f"{target.number} is already above {source.number}."})
        if TicketLink.objects.filter(target=target, link_type=LinkType.PARENT_OF).exists():
            raise RuleViolation({"target": f"{target.number} already has a parent."})
    if link_type == LinkType.CAUSED_BY and source.pk in _causes(target):
        raise RuleViolation(
            {"target": f"{target.number} is already caused by {source.number}: no cycles."}
        )
    if (
        link_type == LinkType.DUPLICATE_OF
        and TicketLink.objects.filter(source=source, link_type=LinkType.DUPLICATE_OF).exists()
    ):
        raise RuleViolation({"target": f"{source.number} is already a duplicate of another."})
    link = TicketLink.objects.create(
        source=source, target=target, link_type=link_type, created_by=actor
    )
    for ticket, other in ((source, target), (target, source)):
        audit.record(
            actor=actor,
            action="ticket.linked",
            obj=ticket,
            changes={"link": link.pk, "type": link_type, "other": other.number},
            object_repr=ticket.number,
        )
    return link


@transaction.atomic
def unlink_tickets(*, actor: Person, link: TicketLink) -> None:
    policy.require(actor, "change", link.source)
    for ticket, other in ((link.source, link.target), (link.target, link.source)):
        audit.record(
            actor=actor,
            action="ticket.unlinked",
            obj=ticket,
            changes={"link": link.pk, "type": link.link_type, "other": other.number},
            object_repr=ticket.number,
        )
    link.delete()


@transaction.atomic
def add_watcher(*, actor: Person, ticket: Ticket, person: Person) -> Watcher:
    """Staff add staff, or people of the ticket's organisation; others only themselves.

    Watching lets the watcher see the ticket and its public replies (never work notes).
    """
    policy.require(actor, "view", ticket)
    if person.pk != actor.pk:
        policy.require(actor, "change", ticket)
    same_organisation = (
        ticket.organisation is not None
        and person.organisation is not None
        and person.organisation.path.startswith(ticket.organisation.path)
    )
    staff = policy.has_model_permission(person, Ticket, "view")
    if not (same_organisation or staff or policy.can(person, "view", ticket)):
        where = ticket.organisation or "the ticket's organisation"
        raise RuleViolation({"person": f"{person} is neither staff nor in {where}."})
    watcher, created = Watcher.objects.get_or_create(ticket=ticket, person=person)
    if created:
        audit.record(
            actor=actor,
            action="ticket.watched",
            obj=ticket,
            changes={"watcher": person.pk},
            object_repr=ticket.number,
        )
    return watcher


@transaction.atomic
def remove_watcher(*, actor: Person, ticket: Ticket, person: Person) -> None:
    policy.require(actor, "view", ticket)
    if person.pk != actor.pk:
        policy.require(actor, "change", ticket)
    deleted, _ = Watcher.objects.filter(ticket=ticket, person=person).delete()
    if deleted:
        audit.record(
            actor=actor,
            action="ticket.unwatched",
            obj=ticket,
            changes={"watcher": person.pk},
            object_repr=ticket.number,
        )


@transaction.atomic
def log_time(
    *,
    actor: Person,
    ticket: Ticket,
    minutes: int,
    spent_on: date | None = None,
    billable: bool = False,
    note: str = "",
) -> TimeEntry:
    """Record time spent; people who work the ticket log their own."""
    policy.require(actor, "change", ticket)
    if not 0 < minutes <= 24 * 60:
        raise RuleViolation({"minutes": "Between 1 minute and 24 hours."})
    spent_on = spent_on or timezone.localdate()
    if spent_on > timezone.localdate():
        raise RuleViolation({"spent_on": "Time cannot be logged in the future."})
    entry = TimeEntry.objects.create(
        ticket=ticket,
        person=actor,
        minutes=minutes,
        spent_on=spent_on,
        billable=billable,
        note=note,
    )
    audit.record(
        actor=actor,
        action="ticket.time_logged",
        obj=ticket,
        changes={"time_entry": entry.pk, "minutes": minutes, "billable": billable},
        object_repr=ticket.number,
    )
    return entry
