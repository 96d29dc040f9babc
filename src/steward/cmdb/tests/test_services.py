"""The CMDB's services: typed attributes, class rules, relationship rules, audit."""

from __future__ import annotations

from typing import Any

import pytest

from steward.accounts.tests.factories import make_organisation, make_person
from steward.cmdb import library, services
from steward.cmdb.choices import AttributeKind, CIStatus, CITypeKind, ImpactDirection
from steward.cmdb.models import ConfigurationItem, ImpactEdge, Relationship
from steward.cmdb.tests.factories import (
    make_attribute,
    make_ci,
    make_ci_type,
    make_relationship_type,
)
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _errors(exc: pytest.ExceptionInfo[RuleViolation]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_attributes_are_typed_and_normalised() -> None:
    # given a class with one attribute of each kind
    target_type = make_ci_type()
    ci_type = make_ci_type()
    kinds: list[tuple[str, str, dict[str, Any]]] = [
        ("label", AttributeKind.STRING, {}),
        ("cores", AttributeKind.INTEGER, {}),
        ("memory", AttributeKind.DECIMAL, {}),
        ("virtual", AttributeKind.BOOLEAN, {}),
        ("bought", AttributeKind.DATE, {}),
        ("tier", AttributeKind.CHOICE, {"choices": ["gold", "silver"]}),
        ("host", AttributeKind.REFERENCE, {"reference_type": target_type}),
        ("ip", AttributeKind.IP_ADDRESS, {}),
        ("site", AttributeKind.URL, {}),
    ]
    for code, kind, extra in kinds:
        make_attribute(ci_type=ci_type, code=code, kind=kind, **extra)
    host = make_ci(ci_type=target_type)
    # when a CI is created with loosely typed input
    item = make_ci(
        ci_type=ci_type,
        attributes={
            "label": " web ",
            "cores": "8",
            "memory": "15.50",
            "virtual": "yes",
            "bought": "2025-02-03",
            "tier": "gold",
            "host": str(host.pk),
            "ip": " 10.0.0.1 ",
            "site": "https://example.org/x",
        },
    )
    # then what is stored is typed
    assert ConfigurationItem.objects.get(pk=item.pk).attributes == {
        "label": "web",
        "cores": 8,
        "memory": "15.50",
        "virtual": True,
        "bought": "2025-02-03",
        "tier": "gold",
        "host": host.pk,
        "ip": "10.0.0.1",
        "site": "https://example.org/x",
    }


def test_wrong_values_are_refused_with_every_error_and_nothing_saved() -> None:
    other_type = make_ci_type()
    ci_type = make_ci_type()
    make_attribute(ci_type=ci_type, code="cores", kind=AttributeKind.INTEGER, required=True)
    make_attribute(ci_type=ci_type, code="tier", kind=AttributeKind.CHOICE, choices=["gold"])
    make_attribute(ci_type=ci_type, code="ip", kind=AttributeKind.IP_ADDRESS)
    make_attribute(ci_type=ci_type, code="on", kind=AttributeKind.DATE)
    make_attribute(
        ci_type=ci_type, code="host", kind=AttributeKind.REFERENCE, reference_type=ci_type
    )
    wrong_host = make_ci(ci_type=other_type)
    count = ConfigurationItem.objects.count()
    with pytest.raises(RuleViolation) as exc:
        services.create_ci(
            actor=None,
            name="x",
            ci_type=ci_type,
            attributes={
                "tier": "bronze",
                "ip": "300.1.1.1",
                "on": "03/02/2025",
                "host": wrong_host.pk,
                "colour": "red",
            },
        )
    assert set(_errors(exc)) == {
        "attributes.cores",
        "attributes.tier",
        "attributes.ip",
        "attributes.on",
        "attributes.host",
        "attributes.colour",
    }
    assert ConfigurationItem.objects.count() == count


def test_subclasses_inherit_attributes_and_unique_holds_across_the_hierarchy() -> None:
    hardware = make_ci_type(code="hw")
    server = make_ci_type(code="srv", parent=hardware)
    virtual = make_ci_type(code="vsrv", parent=server)
    make_attribute(ci_type=hardware, code="tag", kind=AttributeKind.STRING, unique=True)
    make_attribute(ci_type=server, code="cores", kind=AttributeKind.INTEGER)
    first = make_ci(ci_type=server, attributes={"tag": "A1", "cores": 4})
    with pytest.raises(RuleViolation) as exc:
        make_ci(ci_type=virtual, attributes={"tag": "A1"})
    assert first.name in _errors(exc)["attributes.tag"][0]
    # editing the holder itself keeps its own value
    services.update_ci(actor=None, item=first, attributes={"tag": "A1", "cores": 8})
    # a fourth level is refused: the hierarchy stays shallow
    with pytest.raises(RuleViolation) as deep:
        make_ci_type(parent=virtual)
    assert "parent" in _errors(deep)
    # a subclass cannot redefine an inherited attribute
    with pytest.raises(RuleViolation):
        make_attribute(ci_type=virtual, code="cores", kind=AttributeKind.STRING)


def test_a_required_attribute_cannot_be_added_while_cis_lack_it() -> None:
    ci_type = make_ci_type()
    make_ci(ci_type=ci_type)
    with pytest.raises(RuleViolation) as exc:
        make_attribute(ci_type=ci_type, code="owner_code", required=True)
    assert "required" in _errors(exc)


def test_ci_changes_are_audited_attribute_by_attribute() -> None:
    ci_type = make_ci_type()
    make_attribute(ci_type=ci_type, code="os", kind=AttributeKind.STRING)
    item = make_ci(ci_type=ci_type, attributes={"os": "Debian 12"})
    services.update_ci(
        actor=None, item=item, attributes={"os": "Debian 13"}, status=CIStatus.MAINTENANCE
    )
    entry = AuditEntry.objects.for_object(item).filter(action="ci.updated").get()
    assert entry.changes == {
        "attributes.os": ["Debian 12", "Debian 13"],
        "status": ["deployed", "maintenance"],
    }


def test_only_permitted_roles_write() -> None:
    organisation = make_organisation()
    agent = make_person(organisation=organisation, roles=["agent"])
    manager = make_person(organisation=organisation, roles=["configuration_manager"])
    ci_type = make_ci_type()
    with pytest.raises(Forbidden):
        services.create_ci(actor=agent, name="x", ci_type=ci_type)
    with pytest.raises(Forbidden):
        services.create_ci_type(actor=agent, code="t", name="T", kind=CITypeKind.COMPONENT)
    item = services.create_ci(actor=manager, name="x", ci_type=ci_type)
    with pytest.raises(Forbidden):
        services.update_ci(actor=agent, item=item, name="y")
    assert ConfigurationItem.objects.get(pk=item.pk).name == "x"


def test_relationship_types_enforce_classes_and_loops() -> None:
    app, server = make_ci_type(code="app"), make_ci_type(code="srv")
    virtual = make_ci_type(code="vsrv", parent=server)
    runs_on = make_relationship_type(
        code="runs_on", acyclic=True, source_types=[app, server], target_types=[server]
    )
    a, vm, host, host2 = (
        make_ci(ci_type=app),
        make_ci(ci_type=virtual),
        make_ci(ci_type=server),
        make_ci(ci_type=server),
    )
    services.create_relationship(actor=None, source=a, type=runs_on, target=vm)  # subclass ok
    services.create_relationship(actor=None, source=vm, type=runs_on, target=host)
    services.create_relationship(actor=None, source=host, type=runs_on, target=host2)
    with pytest.raises(RuleViolation) as wrong:
        services.create_relationship(actor=None, source=host, type=runs_on, target=a)
    assert "target" in _errors(wrong)
    with pytest.raises(RuleViolation) as loop:
        services.create_relationship(actor=None, source=host2, type=runs_on, target=vm)
    assert "loop" in _errors(loop)["target"][0]
    with pytest.raises(RuleViolation):
        services.create_relationship(actor=None, source=vm, type=runs_on, target=host)
    assert Relationship.objects.count() == 3


def test_impact_edges_follow_the_type_direction() -> None:
    depends = make_relationship_type(impact=ImpactDirection.TO_SOURCE)
    a, b = make_ci(), make_ci()
    rel = services.create_relationship(actor=None, source=a, type=depends, target=b)
    assert list(ImpactEdge.objects.values_list("upstream_id", "downstream_id")) == [(b.pk, a.pk)]
    services.update_relationship_type(
        actor=None, relationship_type=depends, impact=ImpactDirection.BOTH
    )
    assert set(ImpactEdge.objects.values_list("upstream_id", "downstream_id")) == {
        (b.pk, a.pk),
        (a.pk, b.pk),
    }
    services.delete_relationship(actor=None, relationship=rel)
    assert not ImpactEdge.objects.exists()
    actions = list(AuditEntry.objects.for_object(a).values_list("action", flat=True))
    assert actions.count("ci.relationship_added") == 1
    assert actions.count("ci.relationship_removed") == 1


def test_library_installs_once() -> None:
    first = library.install()
    assert "11 classes added" in first
    second = library.install()
    assert "0 classes added, 0 attributes added, 0 relationship types added" in second
