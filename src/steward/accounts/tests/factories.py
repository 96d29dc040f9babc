"""Factories: plain functions with defaults. Override any field by keyword."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from steward.accounts import services
from steward.accounts.choices import OrganisationKind, RoleCode
from steward.accounts.models import Organisation, Person, Team

_seq = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_organisation(**overrides: Any) -> Organisation:
    n = next(_seq)
    values: dict[str, Any] = {
        "name": f"Organisation {n}",
        "code": f"org-{n}",
        "kind": OrganisationKind.CUSTOMER,
    }
    values.update(overrides)
    return services.create_organisation(actor=None, **values)


def make_person(
    *,
    roles: Iterable[str] = (RoleCode.REQUESTER,),
    password: str | None = PASSWORD,
    **overrides: Any,
) -> Person:
    n = next(_seq)
    values: dict[str, Any] = {"email": f"person{n}@example.test", "full_name": f"Person {n}"}
    values.update(overrides)
    return services.create_person(actor=None, roles=list(roles), password=password, **values)


def make_agent(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.AGENT], **overrides)


def make_admin(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.ADMINISTRATOR], **overrides)


def make_auditor(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.AUDITOR], **overrides)


def make_team(**overrides: Any) -> Team:
    n = next(_seq)
    values: dict[str, Any] = {"name": f"Team {n}"}
    values.update(overrides)
    return services.create_team(actor=None, **values)
