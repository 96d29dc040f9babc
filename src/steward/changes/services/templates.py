"""Standard-change templates: written by change managers, approved by a change manager;
editing a template's content withdraws its approval until it is approved again."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.changes.models import ChangeTemplate
from steward.core import audit, policy
from steward.core.errors import Forbidden, RuleViolation

TEMPLATE_FIELDS = (
    "name",
    "description",
    "title",
    "change_description",
    "justification",
    "implementation_plan",
    "backout_plan",
    "test_plan",
    "service",
    "team",
    "tasks",
    "is_active",
)
#: Editing any of these is a different standard change: it needs approving again.
CONTENT_FIELDS = tuple(f for f in TEMPLATE_FIELDS if f not in ("name", "is_active"))
AUDITED = (*TEMPLATE_FIELDS, "is_approved")


def _check(values: dict[str, Any]) -> None:
    from steward.changes.services import check_text

    for name in (
        "description",
        "change_description",
        "justification",
        "implementation_plan",
        "backout_plan",
        "test_plan",
    ):
        if name in values:
            check_text(name, values[name])
    if "tasks" in values:
        tasks = values["tasks"]
        ok = isinstance(tasks, list) and all(
            isinstance(t, dict)
            and isinstance(t.get("title"), str)
            and t["title"].strip()
            and isinstance(t.get("description", ""), str)
            and set(t) <= {"title", "description"}
            for t in tasks
        )
        if not ok:
            raise RuleViolation({"tasks": "Each task needs a title (and may have a description)."})
        for task in tasks:
            check_text("tasks", task.get("description", ""))
    service = values.get("service")
    if service is not None and not service.is_service:
        raise RuleViolation({"service": f"{service} is not a service."})


def _require(actor: Person | None, action: str) -> None:
    if actor is not None and not policy.has_model_permission(actor, ChangeTemplate, action):
        raise Forbidden("Only change managers write standard-change templates.")


@transaction.atomic
def create_template(*, actor: Person | None, name: str, **values: Any) -> ChangeTemplate:
    """Write a template; it is usable once a change manager approves it."""
    _require(actor, "add")
    unknown = set(values) - set(TEMPLATE_FIELDS)
    if unknown:
        raise RuleViolation({n: "This field cannot be set." for n in sorted(unknown)})
    _check(values)
    template = ChangeTemplate(name=name.strip(), **values)
    template.full_clean()
    template.save()
    audit.record(
        actor=actor,
        action="change_template.created",
        obj=template,
        changes=audit.diff({}, audit.snapshot(template, AUDITED)),
        object_repr=template.name,
    )
    return template


@transaction.atomic
def update_template(
    *,
    actor: Person | None,
    template: ChangeTemplate,
    expected_version: int | None = None,
    **changes: Any,
) -> ChangeTemplate:
    """Edit a template; editing its content withdraws the approval."""
    from steward.core.errors import Conflict

    _require(actor, "change")
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise RuleViolation({n: "This field cannot be changed." for n in sorted(unknown)})
    locked = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    _check(changes)
    before = audit.snapshot(locked, AUDITED)
    for name, value in changes.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, AUDITED))
    if not changed:
        return locked
    if set(changed) & set(CONTENT_FIELDS) and locked.is_approved:
        locked.is_approved, locked.approved_by, locked.approved_at = False, None, None
        changed["is_approved"] = [True, False]
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit.record(
        actor=actor,
        action="change_template.updated",
        obj=locked,
        changes=changed,
        object_repr=locked.name,
    )
    return locked


@transaction.atomic
def approve_template(
    *, actor: Person | None, template: ChangeTemplate, approved: bool = True
) -> ChangeTemplate:
    """A change manager approves a template for standard changes (or withdraws that)."""
    from steward.changes.services import require_change_manager

    require_change_manager(actor, "approve standard-change templates")
    locked = ChangeTemplate.objects.select_for_update().get(pk=template.pk)
    if locked.is_approved == approved:
        return locked
    if approved and not (locked.implementation_plan.strip() and locked.backout_plan.strip()):
        raise RuleViolation(
            {"is_approved": "A template is approved with its implementation and back-out plans."}
        )
    locked.is_approved = approved
    locked.approved_by = actor if approved else None
    locked.approved_at = timezone.now() if approved else None
    locked.version += 1
    locked.save()
    audit.record(
        actor=actor,
        action="change_template.approved" if approved else "change_template.unapproved",
        obj=locked,
        changes={"is_approved": [not approved, approved]},
        object_repr=locked.name,
    )
    return locked
