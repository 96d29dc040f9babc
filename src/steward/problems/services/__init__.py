"""Every write to problems (links to incidents and the known-error actions in their own
modules). Actor first, one transaction, audited.

Problems are tickets: they are opened through ``tickets.services.create_ticket`` and change
state only through ``core.workflow.transition`` (here via ``tickets.services``). Only roles
with the problem permissions (problem managers) open, edit, analyse and move problems;
agents see them, link incidents to them and apply their workarounds.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.core import audit, markdown, policy
from steward.core.errors import Conflict, RuleViolation
from steward.problems import rca
from steward.problems.models import Problem
from steward.problems.services.known_errors import apply_workaround, resolve_linked_incidents
from steward.problems.services.links import (
    get_incidents_for,
    link_incidents,
    link_problems,
    linked_incidents,
    problems_of,
    unlink_incidents,
)
from steward.tickets import services as tickets
from steward.tickets.models import Ticket

#: Problem fields changed with ``update_problem`` (the ticket's own go to ``update_ticket``).
PROBLEM_FIELDS = ("root_cause", "workaround")
ANALYSIS_FIELDS = ("rca_method", "rca_data", "root_cause", "workaround")
FIX_FIELDS = ("fix_ticket", "fix_reference")

__all__ = [
    "ANALYSIS_FIELDS",
    "PROBLEM_FIELDS",
    "apply_workaround",
    "edit_problem",
    "get_incidents_for",
    "link_incidents",
    "link_problems",
    "linked_incidents",
    "open_problem",
    "problems_of",
    "record_analysis",
    "resolve_linked_incidents",
    "set_fix",
    "transition_problem",
    "unlink_incidents",
    "update_problem",
]


def check_text(field: str, text: str) -> None:
    """Markdown with script or the like is refused with a clear message on its field."""
    try:
        markdown.validate(text)
    except ValidationError as exc:
        raise RuleViolation({field: exc.messages}) from exc


def _locked(actor: Person | None, problem: Problem, expected_version: int | None) -> Problem:
    locked = Problem.objects.select_for_update().get(pk=problem.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


def _save(actor: Person | None, problem: Problem, action: str, changed: dict[str, Any]) -> Problem:
    problem.version += 1
    problem.updated_at = timezone.now()
    problem.full_clean()
    problem.save()
    audit.record(
        actor=actor, action=action, obj=problem, changes=changed, object_repr=problem.number
    )
    return problem


def _check_no_organisation(values: dict[str, Any]) -> None:
    if values.get("organisation") is not None:
        raise RuleViolation(
            {"organisation": "Problems are the provider's: they belong to no organisation."}
        )


def _check_requester(requester: Person | None) -> None:
    # A ticket's requester sees it; a problem's must be somebody who may see problems.
    if requester is not None and not policy.has_model_permission(requester, Problem, "view"):
        raise RuleViolation({"requester": "A problem's requester is staff who may see problems."})


@transaction.atomic
def open_problem(
    *,
    actor: Person | None,
    title: str,
    requester: Person | None = None,
    root_cause: str = "",
    workaround: str = "",
    **values: Any,
) -> Problem:
    """Raise a problem (problem managers). Whoever raises it is its requester."""
    if actor is not None:
        policy.require_add(actor, Problem)
    _check_requester(requester or actor)
    _check_no_organisation(values)
    check_text("root_cause", root_cause)
    check_text("workaround", workaround)
    problem: Problem = tickets.create_ticket(
        actor=actor,
        model=Problem,
        title=title,
        requester=requester,
        root_cause=root_cause,
        workaround=workaround,
        **values,
    )
    return problem


@transaction.atomic
def update_problem(
    *,
    actor: Person | None,
    problem: Problem,
    expected_version: int | None = None,
    **changes: Any,
) -> Problem:
    """Change a problem's fields: its own (root cause, workaround) and the ticket's.

    A known error keeps a root cause and a workaround: clearing either is refused.
    """
    own = {k: v for k, v in changes.items() if k in PROBLEM_FIELDS}
    shared = {k: v for k, v in changes.items() if k not in PROBLEM_FIELDS}
    locked = _locked(actor, problem, expected_version)
    if "requester" in shared:
        _check_requester(shared["requester"])
    _check_no_organisation(shared)
    version = locked.version
    if shared:
        locked = tickets.update_ticket(actor=actor, ticket=locked, **shared)
    if not own:
        return locked
    for name, value in own.items():
        if not isinstance(value, str):
            raise RuleViolation({name: "Write text."})
        check_text(name, value)
        if locked.is_known_error and not value.strip():
            raise RuleViolation({name: "A known error keeps its root cause and workaround."})
    before = audit.snapshot(locked, PROBLEM_FIELDS)
    for name, value in own.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, PROBLEM_FIELDS))
    if not changed:
        return locked
    if locked.version != version:
        locked.version -= 1  # one edit, one new version
    return _save(actor, locked, "problem.updated", changed)


@transaction.atomic
def edit_problem(
    *,
    actor: Person | None,
    ticket: Problem,
    expected_version: int | None = None,
    **changes: Any,
) -> Problem:
    """An edit from a generic entrance (the ticket page, ``PATCH /tickets/``)."""
    return update_problem(actor=actor, problem=ticket, expected_version=expected_version, **changes)


@transaction.atomic
def record_analysis(
    *,
    actor: Person | None,
    problem: Problem,
    method: str,
    data: Any,
    root_cause: str | None = None,
    workaround: str | None = None,
    expected_version: int | None = None,
) -> Problem:
    """Record the root-cause analysis in ``method``'s own fields (``rca.clean`` checks them),
    and with it the root cause and workaround found, if given."""
    locked = _locked(actor, problem, expected_version)
    if not locked.is_open:
        raise RuleViolation({"rca_method": "The problem is no longer open."})
    cleaned = rca.clean(method, data)
    values: dict[str, Any] = {"rca_method": method, "rca_data": cleaned}
    for name, value in (("root_cause", root_cause), ("workaround", workaround)):
        if value is None:
            continue
        check_text(name, value)
        if locked.is_known_error and not value.strip():
            raise RuleViolation({name: "A known error keeps its root cause and workaround."})
        values[name] = value
    before = audit.snapshot(locked, ANALYSIS_FIELDS)
    for name, value in values.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, ANALYSIS_FIELDS))
    if not changed:
        return locked
    return _save(actor, locked, "problem.analysed", changed)


@transaction.atomic
def set_fix(
    *,
    actor: Person | None,
    problem: Problem,
    reference: str,
    expected_version: int | None = None,
) -> Problem:
    """Name the change that removes the cause: a ticket's number (linked as the fixing
    ticket when the actor can see it) or a reference elsewhere. Empty clears it."""
    locked = _locked(actor, problem, expected_version)
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise RuleViolation({"fix_reference": "At most 100 characters."})
    fix_ticket = None
    if reference:
        candidates = Ticket.objects.filter(number__iexact=reference)
        if actor is not None:
            candidates = candidates.visible_to(actor)
        fix_ticket = candidates.first()
        if fix_ticket is not None and fix_ticket.pk == locked.pk:
            raise RuleViolation({"fix_reference": "A problem cannot be its own fix."})
        if fix_ticket is not None:
            reference = fix_ticket.number
    if not reference and locked.state in {"fix_in_progress"}:
        raise RuleViolation({"fix_reference": "A fix in progress needs its change."})
    before = audit.snapshot(locked, FIX_FIELDS)
    locked.fix_ticket = fix_ticket
    locked.fix_reference = reference
    changed = audit.diff(before, audit.snapshot(locked, FIX_FIELDS))
    if not changed:
        return locked
    return _save(actor, locked, "problem.fix_set", changed)


def transition_problem(
    *,
    actor: Person | None,
    problem: Problem,
    to: str,
    values: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Problem:
    """Move a problem to another state (the workflow engine decides and audits)."""
    moved: Problem = tickets.transition_ticket(
        actor=actor, ticket=problem, to=to, values=values, expected_version=expected_version
    )
    return moved
