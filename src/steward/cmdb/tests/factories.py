"""Factories for the CMDB: plain functions with defaults."""

from __future__ import annotations

import itertools
from typing import Any

from steward.cmdb import services
from steward.cmdb.choices import CITypeKind
from steward.cmdb.models import CIType, ConfigurationItem

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
