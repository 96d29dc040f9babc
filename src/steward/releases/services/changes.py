"""The changes a release groups: naming them, and which of them are not approved yet.

A change is *approved* once it has passed its approval: its state is one of
``APPROVED_CHANGE_STATES`` (scheduled, implementing, in review), read off
``changes.Change.state`` as agreed with change management. A release goes to production only
when every change it groups is approved (``hooks.production_refusal``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.changes.models import Change
from steward.core import audit, policy
from steward.core.errors import Conflict, RuleViolation
from steward.core.workflow import Category
from steward.releases.models import Release

#: Change states in which the change is approved (past its approval, not yet finished).
APPROVED_CHANGE_STATES = ("scheduled", "implementing", "review")


def unapproved_changes(release: Release) -> list[tuple[str, str]]:
    """``(number, state)`` of the changes of ``release`` that are not approved, by number."""
    return list(
        release.changes.exclude(state__in=APPROVED_CHANGE_STATES)
        .order_by("number")
        .values_list("number", "state")
    )


@transaction.atomic
def set_release_changes(
    *,
    actor: Person | None,
    release: Release,
    changes: Sequence[Change],
    expected_version: int | None = None,
) -> Release:
    """Name the changes the release groups (replacing the list). Each must be visible to the
    actor and neither closed nor cancelled; the release must be open."""
    locked = Release.objects.select_for_update().get(pk=release.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    if not locked.is_open:
        raise RuleViolation({"changes": f"{locked.number} is no longer open."})
    current = set(locked.changes.values_list("pk", flat=True))
    for change in changes:
        if actor is not None:
            policy.require(actor, "view", change)
        if change.pk not in current and change.state_category == Category.CLOSED:
            raise RuleViolation({"changes": f"{change.number} is {change.state}."})
    before = audit.snapshot(locked, ("changes",))
    locked.changes.set(changes)
    changed = audit.diff(before, audit.snapshot(locked, ("changes",)))
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["version", "updated_at"])
    audit.record(
        actor=actor,
        action="release.changes_set",
        obj=locked,
        changes=changed,
        object_repr=locked.number,
    )
    return locked
