"""Writing relationships: the type's class rules, no loops in acyclic types, impact edges.

Each change is audited on both CIs it joins (``ci.relationship_added`` / ``_removed``), so
each CI's history shows it and its relationships "as of" a date can be reconstructed.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction

from steward.accounts.models import Person
from steward.cmdb import classcache
from steward.cmdb.choices import ImpactDirection
from steward.cmdb.impact import reaches
from steward.cmdb.models import ConfigurationItem, ImpactEdge, Relationship, RelationshipType
from steward.core import audit, policy
from steward.core.errors import RuleViolation


def relationship_record(relationship: Relationship) -> dict[str, Any]:
    """How a relationship appears in the audit log of the CIs it joins."""
    return {
        "id": relationship.pk,
        "type": relationship.type.code,
        "source": relationship.source_id,
        "source_name": relationship.source.name,
        "target": relationship.target_id,
        "target_name": relationship.target.name,
    }


def _allowed(classes: set[int], item: ConfigurationItem) -> bool:
    return not classes or any(t.pk in classes for t in item.ci_type.lineage())


def check_relationship(
    *, source: ConfigurationItem, type: RelationshipType, target: ConfigurationItem
) -> None:
    """Raise ``RuleViolation`` unless the type allows ``source`` → ``target``."""
    errors: dict[str, str] = {}
    if source.pk == target.pk:
        errors["target"] = "A CI cannot be related to itself."
    sources, targets = classcache.remember(
        ("allows", type.pk),
        lambda: (
            {t.pk for t in type.source_types.all()},
            {t.pk for t in type.target_types.all()},
        ),
    )
    if not _allowed(sources, source):
        errors["source"] = f"A {source.ci_type} cannot be the source of “{type.name}”."
    if not _allowed(targets, target):
        errors["target"] = f"A {target.ci_type} cannot be the target of “{type.name}”."
    if not errors and Relationship.objects.filter(source=source, type=type, target=target).exists():
        errors["target"] = f"{source} already {type.name} {target}."
    if not errors and type.acyclic and reaches(start=target.pk, goal=source.pk, type_id=type.pk):
        errors["target"] = (
            f"{target} already {type.name} {source}, directly or through others: "
            "this would make a loop."
        )
    if errors:
        raise RuleViolation(errors)


def _edges(relationship: Relationship) -> list[ImpactEdge]:
    up_down = {
        ImpactDirection.TO_SOURCE: [(relationship.target_id, relationship.source_id)],
        ImpactDirection.TO_TARGET: [(relationship.source_id, relationship.target_id)],
        ImpactDirection.BOTH: [
            (relationship.target_id, relationship.source_id),
            (relationship.source_id, relationship.target_id),
        ],
        ImpactDirection.NONE: [],
    }[ImpactDirection(relationship.type.impact)]
    return [
        ImpactEdge(relationship=relationship, upstream_id=up, downstream_id=down)
        for up, down in up_down
    ]


@transaction.atomic
def create_relationship(
    *,
    actor: Person | None,
    source: ConfigurationItem,
    type: RelationshipType,
    target: ConfigurationItem,
) -> Relationship:
    if actor is not None:
        policy.require_add(actor, Relationship)
        policy.require(actor, "view", source)
        policy.require(actor, "view", target)
    # Lock the type: two concurrent writers cannot both pass the loop check.
    type = RelationshipType.objects.select_for_update().get(pk=type.pk)
    check_relationship(source=source, type=type, target=target)
    relationship = Relationship(source=source, type=type, target=target)
    try:
        with transaction.atomic():
            relationship.save()
    except IntegrityError:
        raise RuleViolation({"target": f"{source} already {type.name} {target}."}) from None
    ImpactEdge.objects.bulk_create(_edges(relationship))
    record = relationship_record(relationship)
    for item in (source, target):
        audit.record(
            actor=actor,
            action="ci.relationship_added",
            obj=item,
            changes={"relationship": [None, record]},
        )
    return relationship


@transaction.atomic
def delete_relationship(*, actor: Person | None, relationship: Relationship) -> None:
    if actor is not None:
        policy.require(actor, "delete", relationship)
    relationship = Relationship.objects.select_related("source", "target", "type").get(
        pk=relationship.pk
    )
    record = relationship_record(relationship)
    relationship.delete()
    for item in (relationship.source, relationship.target):
        audit.record(
            actor=actor,
            action="ci.relationship_removed",
            obj=item,
            changes={"relationship": [record, None]},
        )
