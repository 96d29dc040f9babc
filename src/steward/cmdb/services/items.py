"""Writing configuration items. Actor first, one transaction, one audit entry.

Attributes are validated against the CI's class on every write; the audit entry lists each
attribute that changed as ``attributes.<code>``, so a CI's history and its state "as of" a
past date can be read from the log.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from steward.accounts.models import Organisation, Person
from steward.cmdb.attributes import clean_attributes
from steward.cmdb.choices import MANUAL
from steward.cmdb.models import CIType, ConfigurationItem
from steward.core import audit, policy
from steward.core.errors import RuleViolation
from steward.core.models import clean_changed

CI_FIELDS = (
    "name",
    "ci_type",
    "status",
    "organisation",
    "owner",
    "support_team",
    "location",
    "description",
    "attributes",
    "serial_number",
    "vendor",
    "purchase_date",
    "cost",
    "warranty_end",
    "contract",
    "customers",
)
#: The fields audited as they are (attributes are audited key by key).
PLAIN_FIELDS = tuple(name for name in CI_FIELDS if name not in {"attributes", "customers"})


def ci_snapshot(
    item: ConfigurationItem, customers: list[Organisation] | None = None
) -> dict[str, Any]:
    """The CI's audited state: its fields, each attribute as ``attributes.<code>``, customers
    (``customers``: as the caller has just set them, else read)."""
    values = audit.snapshot(item, PLAIN_FIELDS)
    for code, value in (item.attributes or {}).items():
        values[f"attributes.{code}"] = value
    if customers is not None:
        values["customers"] = sorted(c.pk for c in customers)
    elif item.pk is not None:
        values["customers"] = sorted(item.customers.values_list("pk", flat=True))
    return values


def _validate(item: ConfigurationItem, changed: Iterable[str] | None = None) -> None:
    """Field rules, then the class's attribute rules, reported together. (Relations the
    caller handed over as loaded instances, and with ``changed`` the fields it did not set,
    are not looked up again: ``core.models.clean_changed``.)"""
    errors: dict[str, list[str]] = {}
    try:
        clean_changed(item, changed=changed, trusted=["attributes"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if item.ci_type_id is not None:
        try:
            item.attributes = clean_attributes(item.ci_type, item.attributes or {}, item_pk=item.pk)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise RuleViolation(errors)


def _check_organisations(actor: Person | None, values: dict[str, Any]) -> None:
    if actor is None:
        return
    if values.get("organisation") is not None:
        policy.require(actor, "view", values["organisation"])
    for organisation in values.get("customers") or ():
        policy.require(actor, "view", organisation)


def _record_sources(item: ConfigurationItem, before: dict[str, Any], source: str) -> None:
    """Note ``source`` for each attribute that changed; forget removed attributes'."""
    sources = dict(item.attribute_sources or {})
    for code, value in (item.attributes or {}).items():
        if before.get(code) != value or code not in sources:
            sources[code] = source
    for code in set(sources) - set(item.attributes or {}):
        del sources[code]
    item.attribute_sources = sources


@transaction.atomic
def create_ci(
    *, actor: Person | None, name: str, ci_type: CIType, source: str = MANUAL, **values: Any
) -> ConfigurationItem:
    unknown = set(values) - set(CI_FIELDS)
    if unknown:
        raise RuleViolation({field: "This field cannot be set." for field in sorted(unknown)})
    if actor is not None:
        policy.require_add(actor, ConfigurationItem)
    _check_organisations(actor, values)
    customers: list[Organisation] = list(values.pop("customers", None) or [])
    item = ConfigurationItem(name=name, ci_type=ci_type, **values)
    _validate(item)
    _record_sources(item, {}, source)
    item.save()
    if customers:
        item.customers.set(customers)
    audit.record(
        actor=actor,
        action="ci.created",
        obj=item,
        changes=audit.diff({}, ci_snapshot(item, customers)),
    )
    return item


@transaction.atomic
def update_ci(
    *, actor: Person | None, item: ConfigurationItem, source: str = MANUAL, **changes: Any
) -> ConfigurationItem:
    """Change fields; ``attributes`` replaces the whole set (send every value to keep).
    ``source`` is noted for each attribute whose value changes (``manual`` by default)."""
    unknown = set(changes) - set(CI_FIELDS)
    if unknown:
        raise RuleViolation({field: "This field cannot be changed." for field in sorted(unknown)})
    if actor is not None:
        policy.require(actor, "change", item)
    _check_organisations(actor, changes)
    item = ConfigurationItem.objects.select_for_update().get(pk=item.pk)
    before = ci_snapshot(item)
    attributes_before = dict(item.attributes or {})
    customers = changes.pop("customers", None)
    for name, value in changes.items():
        setattr(item, name, value)
    _validate(item, changed=changes)
    _record_sources(item, attributes_before, source)
    if customers is not None:
        item.customers.set(list(customers))
    after = ci_snapshot(item)
    changed = audit.diff(before, after)
    if changed:
        item.updated_at = timezone.now()
        item.save()
        audit.record(actor=actor, action="ci.updated", obj=item, changes=changed)
    return item


@transaction.atomic
def set_ci_attributes(
    *, actor: Person | None, item: ConfigurationItem, values: dict[str, Any]
) -> ConfigurationItem:
    """Set some attributes, keeping the others (``None`` or "" clears one)."""
    merged = dict(item.attributes or {})
    for code, value in values.items():
        if value is None or value == "":
            merged.pop(code, None)
        else:
            merged[code] = value
    return update_ci(actor=actor, item=item, attributes=merged)
