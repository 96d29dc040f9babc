"""The CMDB's data-quality report: what a configuration manager should fix.

* CIs missing a required attribute (values from before a rule, or written around it);
* orphans: CIs in no relationship;
* services with no owner;
* duplicates: CIs of one class sharing the value of one of the class's identification keys.

Every list is read through the policy, in the database (grouping and anti-joins), and cut at
``LIMIT`` rows with the full count beside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Exists, OuterRef, Q
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast

from steward.cmdb.attributes import descendant_ids
from steward.cmdb.models import AttributeDefinition, CIType, ConfigurationItem, Relationship

LIMIT = 100


@dataclass
class Finding:
    """One check: how many CIs it found, the first of them, and what each lacks or shares."""

    count: int = 0
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class QualityReport:
    missing_required: Finding
    orphans: Finding
    services_without_owner: Finding
    duplicates: Finding

    def as_dict(self) -> dict[str, Any]:
        return {
            name: {"count": finding.count, "rows": finding.rows}
            for name, finding in self.__dict__.items()
        }


def _ci(item: ConfigurationItem) -> dict[str, Any]:
    return {"id": item.pk, "name": item.name, "ci_type": item.ci_type.name}


def _missing_required(items: Any) -> Finding:
    finding = Finding()
    for definition in AttributeDefinition.objects.filter(required=True).select_related("ci_type"):
        code = definition.code
        lacking = items.filter(ci_type_id__in=descendant_ids(definition.ci_type)).filter(
            ~Q(attributes__has_key=code) | Q(**{f"attributes__{code}": ""})
        )
        finding.count += lacking.count()
        for item in lacking[: max(0, LIMIT - len(finding.rows))]:
            finding.rows.append({**_ci(item), "attribute": definition.label})
    return finding


def _orphans(items: Any) -> Finding:
    lonely = items.filter(
        ~Exists(Relationship.objects.filter(source=OuterRef("pk")))
        & ~Exists(Relationship.objects.filter(target=OuterRef("pk")))
    )
    return Finding(lonely.count(), [_ci(item) for item in lonely[:LIMIT]])


def _services_without_owner(items: Any) -> Finding:
    unowned = items.services().filter(owner__isnull=True)
    return Finding(unowned.count(), [_ci(item) for item in unowned[:LIMIT]])


def _key_expression(key: str) -> list[tuple[str, Any]]:
    """Annotations giving each part of an identification key (``hostname+domain``)."""
    parts: list[tuple[str, Any]] = []
    for n, code in enumerate(key.split("+")):
        if code in ("name", "serial_number"):
            parts.append((f"key_{n}", code))
        else:
            text = Cast(KeyTextTransform(code, "attributes"), output_field=CharField())
            parts.append((f"key_{n}", text))
    return parts


def _duplicates(items: Any) -> Finding:
    finding = Finding()
    for ci_type in CIType.objects.exclude(identified_by=[]):
        of_class = items.filter(ci_type=ci_type)
        for key in ci_type.identified_by:
            parts = _key_expression(key)
            annotated = of_class.annotate(
                **{name: expr for name, expr in parts if not isinstance(expr, str)}
            )
            columns = [expr if isinstance(expr, str) else name for name, expr in parts]
            filled = annotated
            for column in columns:
                filled = filled.exclude(**{f"{column}__isnull": True}).exclude(**{column: ""})
            groups = (
                filled.order_by()
                .values(*columns)
                .annotate(copies=Count("id"))
                .filter(copies__gt=1)
                .order_by("-copies")
            )
            for group in groups[:LIMIT]:
                value = " + ".join(str(group[c]) for c in columns)
                members = filled.filter(**{c: group[c] for c in columns})
                finding.count += 1
                if len(finding.rows) < LIMIT:
                    finding.rows.append(
                        {
                            "ci_type": ci_type.name,
                            "key": key,
                            "value": value,
                            "cis": [{"id": i.pk, "name": i.name} for i in members[:20]],
                            "copies": group["copies"],
                        }
                    )
    return finding


def quality_report(*, user: Any) -> QualityReport:
    """The four checks over the CIs ``user`` may see (``None``: all, for the CLI)."""
    items = ConfigurationItem.objects.all()
    items = (items if user is None else items.visible_to(user)).select_related("ci_type")
    return QualityReport(
        missing_required=_missing_required(items),
        orphans=_orphans(items.order_by("name", "id")),
        services_without_owner=_services_without_owner(items.order_by("name", "id")),
        duplicates=_duplicates(items),
    )
