"""The tasks of a change: ordered steps with their own small life (open, in progress,
done, skipped). Every write is audited on the task and checked against the change."""

from __future__ import annotations

from steward.changes.choices import FINISHED_TASK_STATES
from steward.changes.models import Change, ChangeTask


def unfinished_titles(change: Change) -> list[str]:
    """The titles of the change's tasks neither done nor skipped, in order."""
    return list(
        ChangeTask.objects.filter(change=change)
        .exclude(state__in=FINISHED_TASK_STATES)
        .order_by("position", "id")
        .values_list("title", flat=True)
    )
