"""The tasks of a change: ordered steps with their own small life (open, in progress,
done, skipped). Every write is audited on the task and checked against the change."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from steward.accounts.models import Person, Team
from steward.changes.choices import FINISHED_TASK_STATES, ChangeTaskState
from steward.changes.models import Change, ChangeTask
from steward.core import audit, markdown, policy
from steward.core.errors import RuleViolation

TASK_FIELDS = ("title", "description", "team", "assignee", "position", "state")


def unfinished_titles(change: Change) -> list[str]:
    """The titles of the change's tasks neither done nor skipped, in order."""
    return list(
        ChangeTask.objects.filter(change=change)
        .exclude(state__in=FINISHED_TASK_STATES)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )


def _check(actor: Person | None, values: dict[str, Any]) -> None:
    if "title" in values and not str(values["title"] or "").strip():
        raise RuleViolation({"title": "Give the task a title."})
    if "description" in values:
        try:
            markdown.validate(values["description"] or "")
        except ValidationError as exc:
            raise RuleViolation({"description": exc.messages}) from exc
    team: Team | None = values.get("team")
    assignee: Person | None = values.get("assignee")
    if assignee is not None and (not assignee.is_active or not assignee.is_staff_member):
        raise RuleViolation({"assignee": "Only active staff can be assigned."})
    if (
        team is not None
        and assignee is not None
        and not team.memberships.filter(person=assignee).exists()
    ):
        raise RuleViolation({"assignee": f"{assignee} is not a member of {team}."})
    if actor is not None:
        for name in ("team", "assignee"):
            value = values.get(name)
            if value is not None and not policy.can(actor, "view", value):
                raise RuleViolation({name: "Choose one you can see."})


def _open_change(actor: Person | None, change: Change) -> Change:
    locked = Change.objects.select_for_update().get(pk=change.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if not locked.is_open and locked.state_category != "resolved":
        raise RuleViolation({"__all__": "The change is closed: its tasks are final."})
    return locked


@transaction.atomic
def add_task(
    *,
    actor: Person | None,
    change: Change,
    title: str,
    description: str = "",
    team: Team | None = None,
    assignee: Person | None = None,
) -> ChangeTask:
    """Add a task at the end of the change's list."""
    locked = _open_change(actor, change)
    _check(actor, {"title": title, "description": description, "team": team, "assignee": assignee})
    last = ChangeTask.objects.filter(change=locked).aggregate(m=Max("position"))["m"] or 0
    task = ChangeTask(
        change=locked,
        position=last + 1,
        title=title.strip(),
        description=description,
        team=team,
        assignee=assignee,
    )
    task.full_clean()
    task.save()
    audit.record(
        actor=actor,
        action="change_task.created",
        obj=task,
        changes=audit.diff({}, audit.snapshot(task, TASK_FIELDS)),
        object_repr=f"{locked.number} task {task.position}",
    )
    return task


@transaction.atomic
def update_task(*, actor: Person | None, task: ChangeTask, **changes: Any) -> ChangeTask:
    """Change a task: its text, team, assignee, place in the list or state."""
    unknown = set(changes) - set(TASK_FIELDS)
    if unknown:
        raise RuleViolation({name: "This field cannot be changed." for name in sorted(unknown)})
    locked_change = _open_change(actor, task.change)
    locked = ChangeTask.objects.select_for_update().get(pk=task.pk)
    merged = {"team": locked.team, "assignee": locked.assignee, **changes}
    _check(actor, {k: v for k, v in merged.items() if k in changes or k == "team"})
    if "state" in changes and changes["state"] not in ChangeTaskState.values:
        raise RuleViolation({"state": "Choose open, in progress, done or skipped."})
    if "position" in changes:
        position = changes["position"]
        count = ChangeTask.objects.filter(change=locked_change).count()
        if not isinstance(position, int) or not 1 <= position <= count:
            raise RuleViolation({"position": f"Choose a place from 1 to {count}."})
    before = audit.snapshot(locked, TASK_FIELDS)
    for name, value in changes.items():
        if name != "position":
            setattr(locked, name, value)
    if "position" in changes and changes["position"] != locked.position:
        _move(locked, changes["position"])
    if "state" in changes:
        finished = locked.state in FINISHED_TASK_STATES
        locked.finished_at = (locked.finished_at or timezone.now()) if finished else None
    changed = audit.diff(before, audit.snapshot(locked, TASK_FIELDS))
    if not changed:
        return locked
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit.record(
        actor=actor,
        action="change_task.updated",
        obj=locked,
        changes=changed,
        object_repr=f"{locked_change.number} task {locked.position}",
    )
    return locked


def _move(task: ChangeTask, position: int) -> None:
    """Put ``task`` at ``position``; the others keep their order around it."""
    others = list(
        ChangeTask.objects.filter(change_id=task.change_id)
        .exclude(pk=task.pk)
        .order_by("position", "id")
    )
    others.insert(position - 1, task)
    for index, item in enumerate(others, start=1):
        if item.pk != task.pk and item.position != index:
            ChangeTask.objects.filter(pk=item.pk).update(position=index)
    task.position = position


def set_task_state(*, actor: Person | None, task: ChangeTask, state: str) -> ChangeTask:
    """Move a task to open, in progress, done or skipped."""
    return update_task(actor=actor, task=task, state=state)
