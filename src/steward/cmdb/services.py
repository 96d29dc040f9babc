"""Every write to the CMDB. Actor first, one transaction, one audit entry."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Person
from steward.cmdb.models import CIType, ConfigurationItem
from steward.core import audit, policy
from steward.core.errors import RuleViolation

CI_FIELDS = (
    "name",
    "ci_type",
    "status",
    "organisation",
    "owner",
    "support_team",
    "description",
    "attributes",
)


@transaction.atomic
def create_ci_type(
    *, actor: Person | None, code: str, name: str, kind: str, description: str = ""
) -> CIType:
    if actor is not None:
        policy.require_add(actor, CIType)
    if CIType.objects.filter(code=code).exists():
        raise RuleViolation({"code": "A CI type with this code already exists."})
    ci_type = CIType(code=code, name=name, kind=kind, description=description)
    ci_type.full_clean()
    ci_type.save()
    audit.record(
        actor=actor,
        action="ci_type.created",
        obj=ci_type,
        changes=audit.diff({}, audit.snapshot(ci_type, ("code", "name", "kind"))),
    )
    return ci_type


@transaction.atomic
def create_ci(
    *, actor: Person | None, name: str, ci_type: CIType, **values: Any
) -> ConfigurationItem:
    unknown = set(values) - set(CI_FIELDS)
    if unknown:
        raise RuleViolation({field: "This field cannot be set." for field in sorted(unknown)})
    if actor is not None:
        policy.require_add(actor, ConfigurationItem)
        if values.get("organisation") is not None:
            policy.require(actor, "view", values["organisation"])
    item = ConfigurationItem(name=name, ci_type=ci_type, **values)
    item.full_clean()
    item.save()
    audit.record(
        actor=actor,
        action="ci.created",
        obj=item,
        changes=audit.diff({}, audit.snapshot(item, CI_FIELDS)),
    )
    return item


@transaction.atomic
def update_ci(
    *, actor: Person | None, item: ConfigurationItem, **changes: Any
) -> ConfigurationItem:
    unknown = set(changes) - set(CI_FIELDS)
    if unknown:
        raise RuleViolation({field: "This field cannot be changed." for field in sorted(unknown)})
    if actor is not None:
        policy.require(actor, "change", item)
    item = ConfigurationItem.objects.select_for_update().get(pk=item.pk)
    before = audit.snapshot(item, CI_FIELDS)
    for name, value in changes.items():
        setattr(item, name, value)
    item.updated_at = timezone.now()
    item.full_clean()
    item.save()
    changed = audit.diff(before, audit.snapshot(item, CI_FIELDS))
    if changed:
        audit.record(actor=actor, action="ci.updated", obj=item, changes=changed)
    return item
