"""Writing the class library: CI types, their attribute definitions, relationship types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction

from steward.accounts.models import Person
from steward.cmdb.choices import MAX_CLASS_DEPTH, AttributeKind, ImpactDirection
from steward.cmdb.classcache import changes_classes
from steward.cmdb.models import (
    AttributeDefinition,
    CIType,
    ConfigurationItem,
    ImpactEdge,
    Relationship,
    RelationshipType,
)
from steward.core import audit, policy
from steward.core.errors import RuleViolation, refuse_unknown

CI_TYPE_FIELDS = (
    "code",
    "name",
    "kind",
    "parent",
    "description",
    "identified_by",
    "source_precedence",
)
ATTRIBUTE_FIELDS = (
    "code",
    "label",
    "kind",
    "required",
    "unique",
    "choices",
    "reference_type",
    "help_text",
    "position",
    "source_precedence",
)
RELATIONSHIP_TYPE_FIELDS = (
    "code",
    "name",
    "reverse_name",
    "impact",
    "acyclic",
    "source_types",
    "target_types",
    "description",
)
#: Identification keys that are CI fields rather than attributes.
IDENTIFYING_FIELDS = ("name", "serial_number")


def _check_parent(ci_type: CIType) -> None:
    parent = ci_type.parent
    if parent is None:
        return
    if ci_type.pk is not None and ci_type.pk in {t.pk for t in parent.lineage()}:
        raise RuleViolation({"parent": "A class cannot be placed under itself or a subclass."})
    depth = len(parent.lineage()) + 1 + _subtree_height(ci_type)
    if depth > MAX_CLASS_DEPTH:
        raise RuleViolation(
            {"parent": f"Classes nest at most {MAX_CLASS_DEPTH} deep; this would make {depth}."}
        )


def _subtree_height(ci_type: CIType) -> int:
    """How many levels sit below ``ci_type`` (0 for a leaf or a new class)."""
    if ci_type.pk is None:
        return 0
    height, frontier = 0, [ci_type.pk]
    while True:
        frontier = list(CIType.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        if not frontier or height > MAX_CLASS_DEPTH:
            return height
        height += 1


def _check_precedence(order: Any) -> None:
    """A precedence is a list of distinct source names (lower case, no spaces)."""
    if not isinstance(order, list) or not all(
        isinstance(s, str) and s and s == s.strip().lower() and " " not in s for s in order
    ):
        raise RuleViolation(
            {"source_precedence": "List source names, most trusted first: manual, discovery."}
        )
    if len(set(order)) != len(order):
        raise RuleViolation({"source_precedence": "Each source may appear once."})


def _check_identification(ci_type: CIType) -> None:
    keys = ci_type.identified_by
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise RuleViolation({"identified_by": "List attribute codes, e.g. serial_number."})
    if ci_type.pk is None:
        known = set(IDENTIFYING_FIELDS)
    else:
        from steward.cmdb.attributes import definitions_for

        known = set(IDENTIFYING_FIELDS) | {d.code for d in definitions_for(ci_type)}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise RuleViolation(
            {"identified_by": f"Not a field or attribute of this class: {', '.join(unknown)}."}
        )


@changes_classes
@transaction.atomic
def create_ci_type(
    *,
    actor: Person | None,
    code: str,
    name: str,
    kind: str,
    parent: CIType | None = None,
    description: str = "",
    identified_by: list[str] | None = None,
    source_precedence: list[str] | None = None,
) -> CIType:
    if actor is not None:
        policy.require_add(actor, CIType)
    if CIType.objects.filter(code=code).exists():
        raise RuleViolation({"code": "A CI type with this code already exists."})
    ci_type = CIType(
        code=code,
        name=name,
        kind=kind,
        parent=parent,
        description=description,
        identified_by=list(identified_by or []),
        source_precedence=list(source_precedence or []),
    )
    ci_type.full_clean()
    _check_parent(ci_type)
    _check_identification(ci_type)
    _check_precedence(ci_type.source_precedence)
    ci_type.save()
    audit.record(
        actor=actor,
        action="ci_type.created",
        obj=ci_type,
        changes=audit.diff({}, audit.snapshot(ci_type, CI_TYPE_FIELDS)),
    )
    return ci_type


@changes_classes
@transaction.atomic
def update_ci_type(*, actor: Person | None, ci_type: CIType, **changes: Any) -> CIType:
    refuse_unknown(changes, CI_TYPE_FIELDS)
    if actor is not None:
        policy.require(actor, "change", ci_type)
    ci_type = CIType.objects.select_for_update().get(pk=ci_type.pk)
    before = audit.snapshot(ci_type, CI_TYPE_FIELDS)
    for name, value in changes.items():
        setattr(ci_type, name, value)
    ci_type.full_clean()
    _check_parent(ci_type)
    _check_identification(ci_type)
    _check_precedence(ci_type.source_precedence)
    ci_type.save()
    changed = audit.diff(before, audit.snapshot(ci_type, CI_TYPE_FIELDS))
    if changed:
        audit.record(actor=actor, action="ci_type.updated", obj=ci_type, changes=changed)
    return ci_type


def _check_attribute(definition: AttributeDefinition) -> None:
    errors: dict[str, str] = {}
    if not definition.code.isidentifier() or definition.code != definition.code.lower():
        errors["code"] = "Use lower-case letters, digits and underscores, starting with a letter."
    if definition.code in {"name", "serial_number"}:
        errors["code"] = "This code is a field of every CI."
    if definition.kind == AttributeKind.CHOICE:
        values = definition.choices
        if (
            not isinstance(values, list)
            or not values
            or not all(isinstance(v, str) and v.strip() for v in values)
        ):
            errors["choices"] = "List at least one choice."
        elif len(set(values)) != len(values):
            errors["choices"] = "Each choice may appear once."
    elif definition.choices:
        errors["choices"] = "Only choice attributes have choices."
    if definition.kind != AttributeKind.REFERENCE and definition.reference_type_id is not None:
        errors["reference_type"] = "Only reference attributes refer to a class."
    if definition.unique and definition.kind == AttributeKind.BOOLEAN:
        errors["unique"] = "A yes/no attribute cannot be unique."
    try:
        _check_precedence(definition.source_precedence)
    except RuleViolation as exc:
        errors.update({k: v[0] for k, v in exc.message_dict.items()})
    lineage = definition.ci_type.lineage()
    related = [t.pk for t in lineage]
    from steward.cmdb.attributes import descendant_ids

    related += descendant_ids(definition.ci_type)
    clash = AttributeDefinition.objects.filter(ci_type_id__in=related, code=definition.code)
    if definition.pk is not None:
        clash = clash.exclude(pk=definition.pk)
    if clash.exists():
        errors["code"] = "A related class already defines this attribute."
    if errors:
        raise RuleViolation(errors)


def _check_existing_values(definition: AttributeDefinition) -> None:
    """A new or tightened rule must hold for the CIs that exist already."""
    from steward.cmdb.attributes import clean_value, descendant_ids

    items = ConfigurationItem.objects.filter(ci_type_id__in=descendant_ids(definition.ci_type))
    code = definition.code
    if definition.required:
        missing = items.exclude(**{"attributes__has_key": code}).only("name").first()
        missing = missing or items.filter(**{f"attributes__{code}": ""}).only("name").first()
        if missing is not None:
            raise RuleViolation(
                {"required": f"{missing.name} has no {definition.label}; fill it in first."}
            )
    seen: dict[str, str] = {}
    for name, attributes in items.filter(attributes__has_key=code).values_list(
        "name", "attributes"
    ):
        value = attributes.get(code)
        if value is None or value == "":
            continue
        try:
            stored = clean_value(definition, value)
        except Exception as exc:  # noqa: BLE001  any refusal is the same answer here
            raise RuleViolation(
                {"kind": f"{name} has {value!r}, which does not fit: {exc}"}
            ) from None
        if definition.unique:
            key = str(stored)
            if key in seen:
                raise RuleViolation({"unique": f"{seen[key]} and {name} share {value!r}."})
            seen[key] = name


@changes_classes
@transaction.atomic
def create_attribute(
    *, actor: Person | None, ci_type: CIType, code: str, label: str, kind: str, **values: Any
) -> AttributeDefinition:
    refuse_unknown(values, ATTRIBUTE_FIELDS)
    if actor is not None:
        policy.require(actor, "change", ci_type)
        policy.require_add(actor, AttributeDefinition)
    definition = AttributeDefinition(ci_type=ci_type, code=code, label=label, kind=kind, **values)
    definition.full_clean(validate_constraints=False)
    _check_attribute(definition)
    _check_existing_values(definition)
    definition.save()
    audit.record(
        actor=actor,
        action="ci_type.attribute_added",
        obj=ci_type,
        changes={f"attribute.{code}": [None, audit.snapshot(definition, ATTRIBUTE_FIELDS)]},
    )
    return definition


@changes_classes
@transaction.atomic
def update_attribute(
    *, actor: Person | None, definition: AttributeDefinition, **changes: Any
) -> AttributeDefinition:
    refuse_unknown(changes, ATTRIBUTE_FIELDS)
    if "code" in changes and changes["code"] != definition.code:
        raise RuleViolation({"code": "The code of an attribute in use cannot change."})
    if actor is not None:
        policy.require(actor, "change", definition.ci_type)
    definition = AttributeDefinition.objects.select_for_update().get(pk=definition.pk)
    before = audit.snapshot(definition, ATTRIBUTE_FIELDS)
    for name, value in changes.items():
        setattr(definition, name, value)
    definition.full_clean(validate_constraints=False)
    _check_attribute(definition)
    _check_existing_values(definition)
    definition.save()
    after = audit.snapshot(definition, ATTRIBUTE_FIELDS)
    if before != after:
        audit.record(
            actor=actor,
            action="ci_type.attribute_changed",
            obj=definition.ci_type,
            changes={f"attribute.{definition.code}": [before, after]},
        )
    return definition


@changes_classes
@transaction.atomic
def remove_attribute(*, actor: Person | None, definition: AttributeDefinition) -> CIType:
    """Drop a definition; the values CIs hold under its code stay in their history only."""
    if actor is not None:
        policy.require(actor, "change", definition.ci_type)
    from steward.cmdb.attributes import descendant_ids

    ci_type = definition.ci_type
    in_use = ConfigurationItem.objects.filter(
        ci_type_id__in=descendant_ids(ci_type), attributes__has_key=definition.code
    ).exists()
    if in_use:
        raise RuleViolation(
            {"code": f"CIs still hold {definition.label}; clear their values first."}
        )
    before = audit.snapshot(definition, ATTRIBUTE_FIELDS)
    definition.delete()
    audit.record(
        actor=actor,
        action="ci_type.attribute_removed",
        obj=ci_type,
        changes={f"attribute.{before['code']}": [before, None]},
    )
    return ci_type


# --- relationship types ------------------------------------------------------------------------


def rebuild_edges(relationship_type: RelationshipType) -> None:
    """Derive the impact edges of every relationship of the type (one statement each way)."""
    ImpactEdge.objects.filter(relationship__type=relationship_type).delete()
    table, edges = Relationship._meta.db_table, ImpactEdge._meta.db_table
    ways = {
        ImpactDirection.TO_SOURCE: [("target_id", "source_id")],
        ImpactDirection.TO_TARGET: [("source_id", "target_id")],
        ImpactDirection.BOTH: [("target_id", "source_id"), ("source_id", "target_id")],
        ImpactDirection.NONE: [],
    }[ImpactDirection(relationship_type.impact)]
    with connection.cursor() as cursor:
        for upstream, downstream in ways:
            cursor.execute(
                f"INSERT INTO {edges} (relationship_id, upstream_id, downstream_id) "  # noqa: S608
                f"SELECT id, {upstream}, {downstream} FROM {table} WHERE type_id = %s",
                [relationship_type.pk],
            )


def _relationship_type_snapshot(relationship_type: RelationshipType) -> dict[str, Any]:
    return audit.snapshot(relationship_type, RELATIONSHIP_TYPE_FIELDS)


@changes_classes
@transaction.atomic
def create_relationship_type(
    *,
    actor: Person | None,
    code: str,
    name: str,
    reverse_name: str,
    impact: str = ImpactDirection.TO_SOURCE,
    acyclic: bool = False,
    source_types: Iterable[CIType] = (),
    target_types: Iterable[CIType] = (),
    description: str = "",
) -> RelationshipType:
    if actor is not None:
        policy.require_add(actor, RelationshipType)
    if RelationshipType.objects.filter(code=code).exists():
        raise RuleViolation({"code": "A relationship type with this code already exists."})
    relationship_type = RelationshipType(
        code=code,
        name=name,
        reverse_name=reverse_name,
        impact=impact,
        acyclic=acyclic,
        description=description,
    )
    relationship_type.full_clean()
    relationship_type.save()
    relationship_type.source_types.set(list(source_types))
    relationship_type.target_types.set(list(target_types))
    audit.record(
        actor=actor,
        action="relationship_type.created",
        obj=relationship_type,
        changes=audit.diff({}, _relationship_type_snapshot(relationship_type)),
    )
    return relationship_type


@changes_classes
@transaction.atomic
def update_relationship_type(
    *, actor: Person | None, relationship_type: RelationshipType, **changes: Any
) -> RelationshipType:
    """Change a type. Tightened class rules apply to new relationships; a changed impact
    direction re-derives the impact edges of the type's existing relationships."""
    refuse_unknown(changes, RELATIONSHIP_TYPE_FIELDS)
    if actor is not None:
        policy.require(actor, "change", relationship_type)
    relationship_type = RelationshipType.objects.select_for_update().get(pk=relationship_type.pk)
    before = _relationship_type_snapshot(relationship_type)
    many = {k: changes.pop(k) for k in ("source_types", "target_types") if k in changes}
    for name, value in changes.items():
        setattr(relationship_type, name, value)
    relationship_type.full_clean()
    if relationship_type.acyclic and not before["acyclic"] and _has_cycle(relationship_type):
        raise RuleViolation({"acyclic": "Relationships of this type already form a cycle."})
    relationship_type.save()
    for name, value in many.items():
        getattr(relationship_type, name).set(list(value))
    if before["impact"] != relationship_type.impact:
        rebuild_edges(relationship_type)
    changed = audit.diff(before, _relationship_type_snapshot(relationship_type))
    if changed:
        audit.record(
            actor=actor, action="relationship_type.updated", obj=relationship_type, changes=changed
        )
    return relationship_type


def _has_cycle(relationship_type: RelationshipType) -> bool:
    """Does any relationship of the type lie on a loop? (a recursive query per relationship
    would be slow; a loop exists iff walking from each source can come back to it)."""
    from steward.cmdb.impact import reaches

    for source_id, target_id in Relationship.objects.filter(type=relationship_type).values_list(
        "source_id", "target_id"
    ):
        if reaches(start=target_id, goal=source_id, type_id=relationship_type.pk):
            return True
    return False
