"""Every write to changes (tasks, risk, approvals, templates and CAB meetings in their own
modules). Actor first, one transaction, audited.

Changes are tickets: they are opened through ``tickets.services.create_ticket`` and change
state only through ``core.workflow.transition`` (here via ``tickets.services``). Agents and
change managers raise and work changes; requesters see nothing of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.changes.choices import ChangeState, ChangeType, Outcome
from steward.changes.models import PLAN_FIELDS, Change, ChangeTemplate
from steward.changes.services import approvals
from steward.changes.services.tasks import add_task
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, markdown, policy
from steward.core.errors import Conflict, Forbidden, RuleViolation
from steward.core.workflow import Category
from steward.tickets import services as tickets

#: Change fields changed with ``update_change`` (the ticket's own go to ``update_ticket``).
TEXT_FIELDS = ("justification", "implementation_plan", "backout_plan", "test_plan")
CHANGE_FIELDS = (*TEXT_FIELDS, "planned_start", "planned_end")
REVIEW_FIELDS = ("outcome", "review_notes")
#: While these states last, the plan is under approval or approved: editing it is a new
#: revision (in approval: asked again), or refused (scheduled: revise the change first).
PLAN_LOCKED_STATES = (ChangeState.SCHEDULED, ChangeState.IMPLEMENTING, ChangeState.REVIEW)


def check_text(field: str, text: Any) -> None:
    """Markdown with script or the like is refused with a clear message on its field."""
    if not isinstance(text, str):
        raise RuleViolation({field: "Write text."})
    try:
        markdown.validate(text)
    except ValidationError as exc:
        raise RuleViolation({field: exc.messages}) from exc


def _check_window(start: datetime | None, end: datetime | None) -> None:
    if (start is None) != (end is None):
        missing = "planned_end" if end is None else "planned_start"
        raise RuleViolation({missing: "Give both the planned start and the planned end."})
    if start is not None and end is not None and end <= start:
        raise RuleViolation({"planned_end": "The planned end must be after the planned start."})


def _check_requester(requester: Person | None) -> None:
    if requester is not None and not policy.has_model_permission(requester, Change, "view"):
        raise RuleViolation({"requester": "A change's requester is staff who may see changes."})


def _check_cis(actor: Person | None, cis: Iterable[ConfigurationItem]) -> list[ConfigurationItem]:
    chosen = list(dict.fromkeys(cis))
    if actor is not None:
        hidden = [ci for ci in chosen if not policy.can(actor, "view", ci)]
        if hidden:
            raise RuleViolation({"affected_cis": "Choose configuration items you can see."})
    return chosen


@transaction.atomic
def open_change(
    *,
    actor: Person | None,
    title: str,
    change_type: str = ChangeType.NORMAL,
    requester: Person | None = None,
    affected_cis: Iterable[ConfigurationItem] = (),
    **values: Any,
) -> Change:
    """Raise a normal or emergency change (standard ones come from a template:
    ``open_standard_change``). Whoever raises it is its requester."""
    if actor is not None:
        policy.require_add(actor, Change)
    if change_type not in (ChangeType.NORMAL, ChangeType.EMERGENCY):
        raise RuleViolation(
            {"change_type": "Raise a standard change from an approved template."}
            if change_type == ChangeType.STANDARD
            else {"change_type": "Choose normal or emergency."}
        )
    if values.get("organisation") is not None:
        raise RuleViolation({"organisation": "Changes are the provider's: no organisation."})
    _check_requester(requester or actor)
    for name in TEXT_FIELDS:
        check_text(name, values.get(name, ""))
    _check_window(values.get("planned_start"), values.get("planned_end"))
    own = {k: v for k, v in values.items() if k in (*CHANGE_FIELDS, "template")}
    for name in ("outcome", "review_notes", "risk_score", "risk_class", "plan_revision"):
        if name in values:
            raise RuleViolation({name: "This field cannot be set when raising a change."})
    shared = {k: v for k, v in values.items() if k not in own}
    cis = _check_cis(actor, affected_cis)
    change: Change = tickets.create_ticket(
        actor=actor,
        model=Change,
        title=title,
        requester=requester,
        change_type=change_type,
        **own,
        **shared,
    )
    if cis:
        change.affected_cis.set(cis)
        audit.record(
            actor=actor,
            action="change.cis_set",
            obj=change,
            changes={"affected_cis": [[], sorted(ci.pk for ci in cis)]},
            object_repr=change.number,
        )
    return change


@transaction.atomic
def open_standard_change(
    *,
    actor: Person | None,
    template: ChangeTemplate,
    planned_start: datetime,
    planned_end: datetime,
    title: str = "",
    requester: Person | None = None,
    affected_cis: Iterable[ConfigurationItem] = (),
    **values: Any,
) -> Change:
    """Raise a standard change from an approved template: its fields, plans and tasks are
    copied, and it goes straight to *scheduled* (no assessment, no board)."""
    if actor is not None:
        policy.require_add(actor, Change)
    if not template.is_approved or not template.is_active:
        raise RuleViolation(
            {"template": "Only an approved, active template can be used for a standard change."}
        )
    if values.get("organisation") is not None:
        raise RuleViolation({"organisation": "Changes are the provider's: no organisation."})
    _check_requester(requester or actor)
    _check_window(planned_start, planned_end)
    filled: dict[str, Any] = {
        "description": template.change_description,
        "justification": template.justification,
        "implementation_plan": template.implementation_plan,
        "backout_plan": template.backout_plan,
        "test_plan": template.test_plan,
    }
    if template.service_id is not None:
        filled["service"] = template.service
    if template.team_id is not None:
        filled["team"] = template.team
    filled.update(values)
    cis = _check_cis(actor, affected_cis)
    change: Change = tickets.create_ticket(
        actor=actor,
        model=Change,
        title=title or template.title or template.name,
        requester=requester,
        change_type=ChangeType.STANDARD,
        template=template,
        planned_start=planned_start,
        planned_end=planned_end,
        **filled,
    )
    if cis:
        change.affected_cis.set(cis)
    for step in template.tasks or []:
        add_task(
            actor=None,
            change=change,
            title=str(step.get("title", ""))[:200],
            description=str(step.get("description", "")),
        )
    moved: Change = tickets.transition_ticket(
        actor=actor, ticket=change, to=ChangeState.SCHEDULED, held=False
    )
    return moved


def _locked(actor: Person | None, change: Change, expected_version: int | None) -> Change:
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    return locked


def _save(actor: Person | None, change: Change, action: str, changed: dict[str, Any]) -> Change:
    change.version += 1
    change.updated_at = timezone.now()
    change.full_clean()
    change.save()
    audit.record(actor=actor, action=action, obj=change, changes=changed, object_repr=change.number)
    return change


@transaction.atomic
def update_change(
    *,
    actor: Person | None,
    change: Change,
    expected_version: int | None = None,
    affected_cis: Iterable[ConfigurationItem] | None = None,
    **changes: Any,
) -> Change:
    """Change a change's fields: its own (plans, window, justification) and the ticket's.

    Editing a plan or the window is a new plan revision (``plan_revision``): in approval,
    pending approvals are withdrawn and the boards asked again for the new revision; once
    scheduled, a normal or emergency change must be revised first (back to assessment).
    """
    own = {k: v for k, v in changes.items() if k in CHANGE_FIELDS}
    shared = {k: v for k, v in changes.items() if k not in CHANGE_FIELDS}
    for name in ("change_type", "template", "outcome", "review_notes", "plan_revision"):
        if name in shared:
            raise RuleViolation({name: "This field cannot be changed here."})
    locked = _locked(actor, change, expected_version)
    if not locked.is_open and (own or affected_cis is not None):
        raise RuleViolation({"__all__": "The change is no longer open."})
    if "requester" in shared:
        _check_requester(shared["requester"])
    if shared.get("organisation") is not None:
        raise RuleViolation({"organisation": "Changes are the provider's: no organisation."})
    version = locked.version
    if shared:
        locked = tickets.update_ticket(actor=actor, ticket=locked, **shared)
    if affected_cis is not None:
        locked = _set_cis(actor, locked, affected_cis)
    if not own:
        return locked
    for name in TEXT_FIELDS:
        if name in own:
            check_text(name, own[name])
    _check_window(
        own.get("planned_start", locked.planned_start), own.get("planned_end", locked.planned_end)
    )
    before = audit.snapshot(locked, CHANGE_FIELDS)
    for name, value in own.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, CHANGE_FIELDS))
    if not changed:
        return locked
    revised = bool(set(changed) & set(PLAN_FIELDS))
    if revised and locked.state in PLAN_LOCKED_STATES and not locked.is_standard:
        raise RuleViolation(
            {
                "__all__": "The approved plan is locked: revise the change (approval is asked "
                "again) before editing its plans or window."
            }
        )
    if revised:
        changed["plan_revision"] = [locked.plan_revision, locked.plan_revision + 1]
        locked.plan_revision += 1
    if locked.version != version:
        locked.version -= 1  # one edit, one new version
    saved = _save(actor, locked, "change.updated", changed)
    if revised:
        withdrawn = approvals.withdraw_pending(saved, actor=actor, reason="plan revised")
        if saved.state == ChangeState.APPROVAL:
            approvals.open_requests(saved, actor=actor)
        audit.record(
            actor=actor,
            action="change.plan_revised",
            obj=saved,
            changes={
                "plan_revision": changed["plan_revision"],
                "approvals_withdrawn": withdrawn,
            },
            object_repr=saved.number,
        )
    return saved


def _set_cis(actor: Person | None, change: Change, cis: Iterable[ConfigurationItem]) -> Change:
    chosen = _check_cis(actor, cis)
    before = sorted(change.affected_cis.values_list("pk", flat=True))
    after = sorted(ci.pk for ci in chosen)
    if before == after:
        return change
    change.affected_cis.set(chosen)
    audit.record(
        actor=actor,
        action="change.cis_set",
        obj=change,
        changes={"affected_cis": [before, after]},
        object_repr=change.number,
    )
    return change


@transaction.atomic
def edit_change(
    *,
    actor: Person | None,
    ticket: Change,
    expected_version: int | None = None,
    **changes: Any,
) -> Change:
    """An edit from a generic entrance (the ticket page, ``PATCH /tickets/``)."""
    return update_change(actor=actor, change=ticket, expected_version=expected_version, **changes)


@transaction.atomic
def record_review(
    *,
    actor: Person | None,
    change: Change,
    outcome: str,
    review_notes: str = "",
    expected_version: int | None = None,
) -> Change:
    """Record the post-implementation review: the outcome and what was learnt."""
    locked = _locked(actor, change, expected_version)
    if not locked.was_implemented or locked.state_category == Category.CLOSED:
        raise RuleViolation(
            {"outcome": "A review is recorded once the change was implemented, before closing."}
        )
    if outcome not in Outcome.values:
        raise RuleViolation({"outcome": "Choose an outcome."})
    check_text("review_notes", review_notes)
    before = audit.snapshot(locked, REVIEW_FIELDS)
    locked.outcome, locked.review_notes = outcome, review_notes
    changed = audit.diff(before, audit.snapshot(locked, REVIEW_FIELDS))
    if not changed:
        return locked
    return _save(actor, locked, "change.reviewed", changed)


def transition_change(
    *,
    actor: Person | None,
    change: Change,
    to: str,
    values: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Change:
    """Move a change to another state (the workflow engine decides and audits)."""
    if values:
        for name in ("review_notes", "resolution"):
            if name in values:
                check_text(name, values[name])
    moved: Change = tickets.transition_ticket(
        actor=actor, ticket=change, to=to, values=values, expected_version=expected_version
    )
    return moved


def require_change_manager(actor: Person | None, what: str) -> None:
    """Some decisions are the change managers' (approving templates, setting up risk)."""
    if actor is not None and not policy.has_model_permission(actor, ChangeTemplate, "change"):
        raise Forbidden(f"Only change managers may {what}.")
