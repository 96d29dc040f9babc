"""A CI's history and its state "as of" a past time, read back from the audit log.

Every CI change is audited with each changed field and attribute as ``[before, after]``
(``ci.created``, ``ci.updated``) and every relationship change on both CIs it joins
(``ci.relationship_added`` / ``_removed``). Undoing, newest first, the entries written after
a time gives the CI as it was at that time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from steward.cmdb.models import ConfigurationItem, Relationship
from steward.cmdb.services.items import ci_snapshot
from steward.cmdb.services.relationships import relationship_record
from steward.core.models import AuditEntry


def entries_for(item: ConfigurationItem) -> Any:
    """The audit entries of the CI, newest first."""
    return AuditEntry.objects.for_object(item).order_by("-created_at", "-id")


@dataclass
class PastState:
    """The CI at ``at``: ``existed`` is false before it was created."""

    at: datetime.datetime
    existed: bool
    fields: dict[str, Any] = field(default_factory=dict)
    attributes: dict[str, Any] = field(default_factory=dict)
    relationships: list[dict[str, Any]] = field(default_factory=list)
    changes_since: int = 0


def as_of(item: ConfigurationItem, at: datetime.datetime) -> PastState:
    """Reconstruct the CI at ``at`` from its current state and the audit entries after it."""
    state = ci_snapshot(item)
    links = {
        r.pk: relationship_record(r)
        for r in Relationship.objects.touching(item).select_related("source", "target", "type")
    }
    later = entries_for(item).filter(created_at__gt=at)
    count = 0
    for entry in later.iterator():
        count += 1
        if entry.action == "ci.created":
            return PastState(at=at, existed=False, changes_since=count)
        changes = entry.changes or {}
        if entry.action in {"ci.relationship_added", "ci.relationship_removed"}:
            before, after = changes.get("relationship", [None, None])
            if after is not None:
                links.pop(after["id"], None)
            if before is not None:
                links[before["id"]] = before
            continue
        for key, (before, _after) in changes.items():
            if before is None and key.startswith("attributes."):
                state.pop(key, None)
            else:
                state[key] = before
    attributes = {
        key.removeprefix("attributes."): value
        for key, value in state.items()
        if key.startswith("attributes.") and value is not None
    }
    fields = {key: value for key, value in state.items() if not key.startswith("attributes.")}
    return PastState(
        at=at,
        existed=True,
        fields=fields,
        attributes=attributes,
        relationships=sorted(links.values(), key=lambda r: r["id"]),
        changes_since=count,
    )
