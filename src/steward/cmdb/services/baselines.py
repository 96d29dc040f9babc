"""Baselines: snapshot a CI and everything it relies on; compare a baseline with now or
with another baseline (CIs added and removed, attributes and relationships changed)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from steward.accounts.models import Person
from steward.cmdb.choices import MAX_IMPACT_DEPTH, ImpactWay
from steward.cmdb.impact import walk
from steward.cmdb.models import Baseline, BaselineItem, ConfigurationItem, Relationship
from steward.cmdb.services.items import PLAIN_FIELDS
from steward.core import audit, policy
from steward.core.errors import RuleViolation

#: The most CIs one baseline holds.
MAX_ITEMS = 20_000


@dataclass
class Entry:
    """One CI of a set being compared."""

    pk: int
    name: str
    ci_type: str
    state: dict[str, Any]
    relationships: list[list[Any]]


def _state(item: ConfigurationItem) -> dict[str, Any]:
    values = audit.snapshot(item, [f for f in PLAIN_FIELDS if f != "ci_type"])
    for code, value in (item.attributes or {}).items():
        values[f"attributes.{code}"] = value
    return values


def current_set(root: ConfigurationItem, depth: int) -> dict[int, Entry]:
    """``root`` and what it relies on to ``depth``, as they are now."""
    walked = walk(start=root.pk, way=ImpactWay.UPSTREAM, depth=depth, shown=MAX_ITEMS)
    ids = [root.pk, *(pk for pk, _d, _k in walked.rows)]
    entries: dict[int, Entry] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for item in ConfigurationItem.objects.filter(pk__in=chunk).select_related("ci_type"):
            entries[item.pk] = Entry(item.pk, item.name, item.ci_type.code, _state(item), [])
        rows = Relationship.objects.filter(source_id__in=chunk).values_list(
            "source_id", "type__code", "target_id"
        )
        for source, code, target in rows:
            entries[source].relationships.append([code, target])
    for entry in entries.values():
        entry.relationships.sort()
    return entries


def baseline_set(baseline: Baseline) -> dict[int, Entry]:
    return {
        row.ci_id_value: Entry(row.ci_id_value, row.name, row.ci_type, row.state, row.relationships)
        for row in baseline.items.all()
    }


@transaction.atomic
def create_baseline(
    *,
    actor: Person | None,
    name: str,
    root: ConfigurationItem,
    depth: int = 5,
    description: str = "",
) -> Baseline:
    if actor is not None:
        policy.require_add(actor, Baseline)
        policy.require(actor, "view", root)
    if not name.strip():
        raise RuleViolation({"name": "Name the baseline."})
    if not 1 <= depth <= MAX_IMPACT_DEPTH:
        raise RuleViolation({"depth": f"Choose a depth from 1 to {MAX_IMPACT_DEPTH}."})
    entries = current_set(root, depth)
    baseline = Baseline.objects.create(
        name=name.strip(), description=description, root=root, depth=depth, created_by=actor
    )
    BaselineItem.objects.bulk_create(
        [
            BaselineItem(
                baseline=baseline,
                ci_id_value=e.pk,
                name=e.name,
                ci_type=e.ci_type,
                state=e.state,
                relationships=e.relationships,
            )
            for e in entries.values()
        ],
        batch_size=1000,
    )
    audit.record(
        actor=actor,
        action="baseline.created",
        obj=baseline,
        changes={"root": [None, root.pk], "depth": [None, depth], "items": [None, len(entries)]},
    )
    return baseline


@dataclass
class Difference:
    """How the ``after`` set differs from the ``before`` set."""

    added: list[Entry] = field(default_factory=list)
    removed: list[Entry] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict[str, Any]:
        def brief(e: Entry) -> dict[str, Any]:
            return {"id": e.pk, "name": e.name, "ci_type": e.ci_type}

        return {
            "added": [brief(e) for e in self.added],
            "removed": [brief(e) for e in self.removed],
            "changed": self.changed,
        }


def compare(before: dict[int, Entry], after: dict[int, Entry]) -> Difference:
    difference = Difference(
        added=sorted((after[pk] for pk in after.keys() - before.keys()), key=lambda e: e.name),
        removed=sorted((before[pk] for pk in before.keys() - after.keys()), key=lambda e: e.name),
    )
    for pk in sorted(before.keys() & after.keys(), key=lambda k: after[k].name):
        old, new = before[pk], after[pk]
        fields = audit.diff(old.state, new.state)
        if old.ci_type != new.ci_type:
            fields["ci_type"] = [old.ci_type, new.ci_type]
        was = {tuple(r) for r in old.relationships}
        now = {tuple(r) for r in new.relationships}
        if fields or was != now:
            difference.changed.append(
                {
                    "id": pk,
                    "name": new.name,
                    "fields": fields,
                    "relationships_added": [list(r) for r in sorted(now - was)],
                    "relationships_removed": [list(r) for r in sorted(was - now)],
                }
            )
    return difference


def compare_baseline(*, baseline: Baseline, other: Baseline | None = None) -> Difference:
    """What changed from ``baseline`` to ``other`` (or to now, from the same root and depth)."""
    if other is not None:
        return compare(baseline_set(baseline), baseline_set(other))
    if baseline.root is None:
        raise RuleViolation(
            {"root": "The baseline's root CI no longer exists; compare with another baseline."}
        )
    return compare(baseline_set(baseline), current_set(baseline.root, baseline.depth))
