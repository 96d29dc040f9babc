"""How scheduling checks conflicts, registered at start-up (``apps.py``).

* ``changes.schedule_clear`` is a workflow guard: a change whose planned period has blocking
  conflicts, not overridden for exactly that period, may not be scheduled.
* The change workflow's own guards on its two ways into *scheduled* (``changes.approved``
  from approval, ``changes.standard_only`` for a standard change from *new*) are registered
  again here as themselves followed by ``schedule_clear``, so scheduling is checked whatever
  the workflow data names.
* Moving the planned period of a change already *scheduled*, or changing its CIs (any
  audited write that changes ``planned_start``, ``planned_end`` or ``affected_cis``, outside a
  transition: ``changes.services.update_change`` writes ``change.updated`` and
  ``change.cis_set``) is checked the same way, through the audit log's listener: a refusal
  rolls the write back.
"""

from __future__ import annotations

from typing import Any

from steward.core.errors import RuleViolation


def schedule_clear(change: Any, actor: Any) -> str | None:
    """The workflow guard: ``None`` when the planned period has no unresolved blocking
    conflict."""
    from steward.changes.conflicts import blocking_refusal

    return blocking_refusal(change)


def _approved_and_clear(change: Any, actor: Any) -> str | None:
    from steward.changes import hooks

    return hooks.approved(change, actor) or schedule_clear(change, actor)


def _standard_and_clear(change: Any, actor: Any) -> str | None:
    from steward.changes import hooks
    from steward.changes.choices import ChangeState

    refusal = hooks.standard_only(change, actor)
    if refusal or change.state != ChangeState.NEW:  # only new -> scheduled schedules
        return refusal
    return schedule_clear(change, actor)


def on_audit(entry: Any, obj: Any) -> None:
    """A scheduled change's period or CIs changed (not by a transition): check it."""
    if entry.object_type != "changes.change" or entry.action == "change.transitioned":
        return
    if not ({"planned_start", "planned_end", "affected_cis"} & set(entry.changes or {})):
        return
    from steward.changes.conflicts import SCHEDULED_STATES

    if getattr(obj, "state", None) not in SCHEDULED_STATES:
        return
    refusal = schedule_clear(obj, entry.actor)
    if refusal:
        raise RuleViolation({"planned_start": refusal})


def register() -> None:
    from steward.changes.schedule import slots_and_panels
    from steward.core import audit, workflow

    workflow.register_guard("changes.schedule_clear", schedule_clear)
    workflow.register_guard("changes.approved", _approved_and_clear)
    workflow.register_guard("changes.standard_only", _standard_and_clear)
    audit.listen(on_audit)
    slots_and_panels.register()
