"""Typed CI attributes: each class's definitions, and validating values against them.

Values are stored in ``ConfigurationItem.attributes`` as JSON: strings, integers, booleans,
decimals as strings (exact), dates as ISO strings, references as the referred CI's id, IP
addresses in their canonical form. ``clean_attributes`` is called by every service that
writes a CI, so the web form, the API, the importer and the CLI share one rule set.
"""

from __future__ import annotations

import datetime
import decimal
import ipaddress
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

from steward.cmdb import classcache
from steward.cmdb.choices import SOURCE_PRECEDENCE, AttributeKind
from steward.cmdb.models import AttributeDefinition, CIType, ConfigurationItem

_url = URLValidator(schemes=["http", "https", "ftp", "ftps", "ssh"])


def definitions_for(ci_type: CIType) -> list[AttributeDefinition]:
    """The attribute definitions of ``ci_type``: its ancestors' first, then its own (read
    once per transaction: ``classcache``; the list is shared, so callers don't change it)."""

    def read() -> list[AttributeDefinition]:
        lineage = ci_type.lineage()
        rows = list(
            AttributeDefinition.objects.filter(ci_type__in=lineage).select_related(
                "ci_type", "reference_type"
            )
        )
        depth = {t.pk: i for i, t in enumerate(lineage)}
        rows.sort(key=lambda d: (-depth[d.ci_type_id], d.position, d.pk))
        return rows

    return classcache.remember(("definitions", ci_type.pk), read)


def source_order(ci_type: CIType, definition: AttributeDefinition | None) -> tuple[str, ...]:
    """Whose values win for ``definition`` on a CI of ``ci_type``, most trusted first: the
    attribute's own order, else the nearest class's in the CI's lineage that has one, else
    the site's (``choices.SOURCE_PRECEDENCE``)."""
    if definition is not None and definition.source_precedence:
        return tuple(definition.source_precedence)
    for cls in ci_type.lineage():
        if cls.source_precedence:
            return tuple(cls.source_precedence)
    return SOURCE_PRECEDENCE


def descendant_ids(ci_type: CIType) -> list[int]:
    """``ci_type`` and every class under it (the hierarchy is shallow: a few queries, once
    per transaction)."""

    def walk() -> list[int]:
        found = [ci_type.pk]
        frontier = [ci_type.pk]
        while frontier:
            frontier = list(
                CIType.objects.filter(parent_id__in=frontier).values_list("pk", flat=True)
            )
            frontier = [pk for pk in frontier if pk not in found]
            found.extend(frontier)
        return found

    return list(classcache.remember(("descendants", ci_type.pk), walk))


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def clean_value(definition: AttributeDefinition, value: Any) -> Any:
    """The stored form of ``value``, or ``ValidationError`` with a message for people."""
    kind = definition.kind
    if kind == AttributeKind.STRING:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValidationError("Enter text.")
        text = str(value).strip()
        if len(text) > 1000:
            raise ValidationError("Enter at most 1000 characters.")
        return text
    if kind == AttributeKind.INTEGER:
        if isinstance(value, bool):
            raise ValidationError("Enter a whole number.")
        if isinstance(value, int):
            return value
        try:
            return int(str(value).strip())
        except ValueError:
            raise ValidationError("Enter a whole number.") from None
    if kind == AttributeKind.DECIMAL:
        if isinstance(value, bool):
            raise ValidationError("Enter a number.")
        try:
            number = decimal.Decimal(str(value).strip())
        except decimal.InvalidOperation:
            raise ValidationError("Enter a number.") from None
        if not number.is_finite():
            raise ValidationError("Enter a number.")
        return str(number)
    if kind == AttributeKind.BOOLEAN:
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in {"true", "yes", "1", "on"}:
            return True
        if text in {"false", "no", "0", "off"}:
            return False
        raise ValidationError("Enter yes or no.")
    if kind == AttributeKind.DATE:
        if isinstance(value, datetime.datetime):
            raise ValidationError("Enter a date (YYYY-MM-DD), not a time.")
        if isinstance(value, datetime.date):
            return value.isoformat()
        try:
            return datetime.date.fromisoformat(str(value).strip()).isoformat()
        except ValueError:
            raise ValidationError("Enter a date as YYYY-MM-DD.") from None
    if kind == AttributeKind.CHOICE:
        text = str(value).strip()
        if text not in definition.choices:
            raise ValidationError(
                f"Choose one of: {', '.join(str(c) for c in definition.choices)}."
            )
        return text
    if kind == AttributeKind.REFERENCE:
        pk = value.pk if isinstance(value, ConfigurationItem) else value
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise ValidationError("Enter the id of a configuration item.") from None
        target = ConfigurationItem.objects.filter(pk=pk).select_related("ci_type").first()
        if target is None:
            raise ValidationError(f"No configuration item has the id {pk}.")
        if definition.reference_type_id is not None and definition.reference_type_id not in {
            t.pk for t in target.ci_type.lineage()
        }:
            raise ValidationError(f"{target} is not a {definition.reference_type}.")
        return pk
    if kind == AttributeKind.IP_ADDRESS:
        try:
            return str(ipaddress.ip_address(str(value).strip()))
        except ValueError:
            raise ValidationError("Enter a valid IPv4 or IPv6 address.") from None
    if kind == AttributeKind.URL:
        text = str(value).strip()
        _url(text)
        return text
    raise ValidationError(f"Unknown attribute type {kind!r}.")


def clean_attributes(
    ci_type: CIType,
    values: Mapping[str, Any],
    *,
    item_pk: int | None = None,
    definitions: list[AttributeDefinition] | None = None,
) -> dict[str, Any]:
    """Validate ``values`` against the class; return the stored form or raise with every error.

    Errors are keyed ``attributes.<code>`` so each entrance can show them by its field.
    """
    if not isinstance(values, Mapping):
        raise ValidationError({"attributes": "Attributes must be an object of code: value."})
    definitions = definitions_for(ci_type) if definitions is None else definitions
    by_code = {d.code: d for d in definitions}
    errors: dict[str, list[str]] = {}
    for code in sorted(set(values) - set(by_code)):
        errors[f"attributes.{code}"] = [f"{ci_type} has no attribute {code!r}."]
    cleaned: dict[str, Any] = {}
    for code, definition in by_code.items():
        value = values.get(code)
        if _is_blank(value):
            if definition.required:
                errors[f"attributes.{code}"] = [f"{definition.label} is required."]
            continue
        try:
            cleaned[code] = clean_value(definition, value)
        except ValidationError as exc:
            errors[f"attributes.{code}"] = list(exc.messages)
    for code, value in cleaned.items():
        definition = by_code[code]
        if not definition.unique or f"attributes.{code}" in errors:
            continue
        clash = ConfigurationItem.objects.filter(
            ci_type_id__in=descendant_ids(definition.ci_type), **{f"attributes__{code}": value}
        )
        if item_pk is not None:
            clash = clash.exclude(pk=item_pk)
        other = clash.only("name").first()
        if other is not None:
            errors[f"attributes.{code}"] = [
                f"{other.name} already has {definition.label} {value!s}."
            ]
    if errors:
        raise ValidationError(errors)
    return cleaned
