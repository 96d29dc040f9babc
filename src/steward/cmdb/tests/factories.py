"""Factories for the CMDB: plain functions with defaults."""

from __future__ import annotations

import itertools
from typing import Any

from steward.cmdb import services
from steward.cmdb.choices import AttributeKind, CITypeKind
from steward.cmdb.models import (
    AttributeDefinition,
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipType,
)

_seq = itertools.count(1)


def make_ci_type(**overrides: Any) -> CIType:
    n = next(_seq)
    values: dict[str, Any] = {
        "code": f"type-{n}",
        "name": f"Type {n}",
        "kind": CITypeKind.COMPONENT,
    }
    values.update(overrides)
    return services.create_ci_type(actor=None, **values)


def make_attribute(**overrides: Any) -> AttributeDefinition:
    n = next(_seq)
    ci_type = overrides.pop("ci_type", None) or make_ci_type()
    values: dict[str, Any] = {"code": f"attr_{n}", "label": f"Attribute {n}"}
    values.setdefault("kind", AttributeKind.STRING)
    values.update(overrides)
    return services.create_attribute(actor=None, ci_type=ci_type, **values)


def make_service(**overrides: Any) -> ConfigurationItem:
    n = next(_seq)
    ci_type = overrides.pop("ci_type", None) or make_ci_type(kind=CITypeKind.BUSINESS_SERVICE)
    values: dict[str, Any] = {"name": f"Service {n}", "ci_type": ci_type}
    values.update(overrides)
    return services.create_ci(actor=None, **values)


def make_ci(**overrides: Any) -> ConfigurationItem:
    n = next(_seq)
    ci_type = overrides.pop("ci_type", None) or make_ci_type()
    values: dict[str, Any] = {"name": f"CI {n}", "ci_type": ci_type}
    values.update(overrides)
    return services.create_ci(actor=None, **values)


def make_relationship_type(**overrides: Any) -> RelationshipType:
    n = next(_seq)
    values: dict[str, Any] = {
        "code": f"rel-{n}",
        "name": f"relates {n} to",
        "reverse_name": f"is related {n} by",
    }
    values.update(overrides)
    return services.create_relationship_type(actor=None, **values)


def make_relationship(**overrides: Any) -> Relationship:
    source = overrides.pop("source", None) or make_ci()
    target = overrides.pop("target", None) or make_ci()
    type_ = overrides.pop("type", None) or make_relationship_type()
    return services.create_relationship(actor=None, source=source, type=type_, target=target)
