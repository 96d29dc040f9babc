"""The CMDB API endpoints through the shared permission harness, plus impact and bad input."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_organisation, make_person
from steward.cmdb.choices import AttributeKind, CIStatus, CITypeKind, ImpactDirection
from steward.cmdb.models import (
    AttributeDefinition,
    CIType,
    ConfigurationItem,
    Relationship,
    RelationshipType,
)
from steward.cmdb.tests.factories import (
    make_attribute,
    make_ci,
    make_ci_type,
    make_relationship,
    make_relationship_type,
)
from steward.core.models import AuditEntry
from steward.core.testing import ApiResourceTests, assert_problem


def _manager(organisation: Any) -> Person:
    return make_person(organisation=organisation, roles=["configuration_manager"])


def _nobody(organisation: Any) -> Person:
    return make_person(organisation=make_organisation())


class TestConfigurationItemApi(ApiResourceTests):
    basename = "configuration-item"
    filter_cases = [
        ({"status": "retired"}, lambda ci: ci.status == CIStatus.RETIRED),
        ({"q": "web"}, lambda ci: "web" in ci.name),
        ({"is_service": "true"}, lambda ci: ci.ci_type.is_service),
    ]

    def make_object(self, organisation: Any) -> ConfigurationItem:
        n = ConfigurationItem.objects.count()
        kind = CITypeKind.BUSINESS_SERVICE if n % 3 == 0 else CITypeKind.COMPONENT
        return make_ci(
            name=f"web-{n}" if n % 2 else f"db-{n}",
            organisation=organisation,
            status=CIStatus.RETIRED if n % 2 else CIStatus.DEPLOYED,
            ci_type=make_ci_type(kind=kind),
        )

    def allowed_user(self, organisation: Any) -> Person:
        return _manager(organisation)

    def denied_user(self, organisation: Any) -> Person:
        return _nobody(organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        ci_type = make_ci_type()
        make_attribute(ci_type=ci_type, code="cores", kind=AttributeKind.INTEGER)
        return {
            "name": "new-host",
            "ci_type": ci_type.pk,
            "organisation": organisation.pk,
            "attributes": {"cores": "4"},
            "serial_number": "SN-1",
            "cost": "1200.50",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"location": f"Room {AuditEntry.objects.count()}"}


class TestCITypeApi(ApiResourceTests):
    basename = "ci-type"
    organisation_scoped = False
    filter_cases = [({"kind": "business_service"}, lambda t: t.kind == "business_service")]

    def make_object(self, organisation: Any) -> CIType:
        n = CIType.objects.count()
        return make_ci_type(kind=CITypeKind.BUSINESS_SERVICE if n % 2 else CITypeKind.COMPONENT)

    def allowed_user(self, organisation: Any) -> Person:
        return _manager(organisation)

    def denied_user(self, organisation: Any) -> Person:
        return _nobody(organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"code": f"new-{CIType.objects.count()}", "name": "New", "kind": "component"}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": f"About {AuditEntry.objects.count()}"}


class TestAttributeDefinitionApi(ApiResourceTests):
    basename = "ci-attribute"
    organisation_scoped = False

    def make_object(self, organisation: Any) -> AttributeDefinition:
        return make_attribute()

    def allowed_user(self, organisation: Any) -> Person:
        return _manager(organisation)

    def denied_user(self, organisation: Any) -> Person:
        return _nobody(organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "ci_type": make_ci_type().pk,
            "code": "tier",
            "label": "Tier",
            "kind": "choice",
            "choices": ["gold", "silver"],
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"label": f"Label {AuditEntry.objects.count()}"}


class TestRelationshipTypeApi(ApiResourceTests):
    basename = "relationship-type"
    organisation_scoped = False
    list_query_budget = 10

    def make_object(self, organisation: Any) -> RelationshipType:
        return make_relationship_type(source_types=[make_ci_type()])

    def allowed_user(self, organisation: Any) -> Person:
        return _manager(organisation)

    def denied_user(self, organisation: Any) -> Person:
        return _nobody(organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        n = RelationshipType.objects.count()
        return {"code": f"hosts-{n}", "name": "hosts", "reverse_name": "hosted by"}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"description": f"About {AuditEntry.objects.count()}"}


class TestRelationshipApi(ApiResourceTests):
    basename = "relationship"

    def make_object(self, organisation: Any) -> Relationship:
        return make_relationship(source=make_ci(organisation=organisation))

    def allowed_user(self, organisation: Any) -> Person:
        return _manager(organisation)

    def denied_user(self, organisation: Any) -> Person:
        return _nobody(organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "source": make_ci(organisation=organisation).pk,
            "target": make_ci().pk,
            "type": make_relationship_type().pk,
        }


def _client(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_wrong_attribute_types_are_field_errors_and_nothing_is_created() -> None:
    organisation = make_organisation()
    ci_type = make_ci_type()
    make_attribute(ci_type=ci_type, code="cores", kind=AttributeKind.INTEGER, required=True)
    count = ConfigurationItem.objects.count()
    response = _client(_manager(organisation)).post(
        reverse("configuration-item-list"),
        {"name": "x", "ci_type": ci_type.pk, "attributes": {"cores": "many", "x": 1}},
        format="json",
    )
    body = assert_problem(response, 400)
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"attributes.cores", "attributes.x"}
    unknown_class = _client(_manager(organisation)).post(
        reverse("configuration-item-list"), {"name": "x", "ci_type": 999999}, format="json"
    )
    assert_problem(unknown_class, 400)
    assert ConfigurationItem.objects.count() == count


@pytest.mark.django_db
def test_relationship_breaking_its_type_is_400() -> None:
    organisation = make_organisation()
    server = make_ci_type()
    runs_on = make_relationship_type(acyclic=True, target_types=[server])
    a, b = make_ci(ci_type=server), make_ci(ci_type=server)
    client = _client(_manager(organisation))
    url = reverse("relationship-list")
    assert client.post(url, {"source": a.pk, "target": b.pk, "type": runs_on.pk}).status_code == 201
    loop = client.post(url, {"source": b.pk, "target": a.pk, "type": runs_on.pk})
    assert assert_problem(loop, 400)["errors"][0]["field"] == "target"
    wrong_class = client.post(url, {"source": a.pk, "target": make_ci().pk, "type": runs_on.pk})
    assert_problem(wrong_class, 400)
    assert Relationship.objects.count() == 1


@pytest.mark.django_db
def test_impact_endpoint_reports_services_and_customers() -> None:
    # given db <- app -> service, the service delivered to a customer
    customer = make_organisation(name="Acme")
    service = make_ci(name="Payroll", ci_type=make_ci_type(kind=CITypeKind.BUSINESS_SERVICE))
    from steward.cmdb import services

    services.update_ci(actor=None, item=service, customers=[customer])
    app, db = make_ci(name="app"), make_ci(name="db")
    depends = make_relationship_type(impact=ImpactDirection.TO_SOURCE)
    provides = make_relationship_type(impact=ImpactDirection.TO_TARGET)
    make_relationship(source=app, type=depends, target=db)
    make_relationship(source=app, type=provides, target=service)
    client = _client(_manager(make_organisation()))
    # when the impact of the database is asked
    response = client.get(reverse("configuration-item-impact", args=[db.pk]), {"depth": 2})
    # then the app and the service are reached, with the service's customer
    assert response.status_code == 200, response.content
    body = response.json()
    assert [(i["name"], i["depth"]) for i in body["items"]] == [("app", 1), ("Payroll", 2)]
    assert [s["name"] for s in body["services"]] == ["Payroll"]
    assert body["customers"] == [{"id": customer.pk, "name": "Acme"}]
    # and depth and direction are checked
    bad = client.get(reverse("configuration-item-impact", args=[db.pk]), {"depth": 99})
    assert_problem(bad, 400)
    up = client.get(reverse("configuration-item-impact", args=[app.pk]), {"direction": "upstream"})
    assert [i["name"] for i in up.json()["items"]] == ["db"]


@pytest.mark.django_db
def test_import_endpoint_reports_by_line_and_applies_only_when_clean() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from steward.cmdb import library

    library.install()
    url = reverse("cmdb-import")
    text = b"class,name,serial_number\nserver,s1,A\nnope,s2,B\n"
    manager = _client(_manager(make_organisation()))
    refused = manager.post(url, {"file": SimpleUploadedFile("cis.csv", text)}, format="multipart")
    assert refused.status_code == 200, refused.content
    body = refused.json()
    assert (body["applied"], body["created"]) == (False, 1)
    assert body["errors"] == [{"line": 3, "field": "class", "message": "Unknown class 'nope'."}]
    assert not ConfigurationItem.objects.exists()
    applied = manager.post(
        url,
        {"file": SimpleUploadedFile("cis.csv", text), "apply_valid": "true"},
        format="multipart",
    )
    assert applied.json()["applied"] is True
    assert ConfigurationItem.objects.filter(name="s1").exists()
    unreadable = manager.post(
        url, {"file": SimpleUploadedFile("x.csv", b"name\nx\n")}, format="multipart"
    )
    assert assert_problem(unreadable, 400)["errors"][0]["field"] == "file"
    agent = make_person(organisation=make_organisation(), roles=["agent"])
    denied = _client(agent).post(
        url, {"file": SimpleUploadedFile("cis.csv", text)}, format="multipart"
    )
    assert_problem(denied, 403)
    assert_problem(APIClient().post(url, {}), 401)


@pytest.mark.django_db
def test_source_precedence_is_set_per_class_and_refused_when_malformed() -> None:
    organisation = make_organisation()
    ci_type = make_ci_type()
    client = _client(_manager(organisation))
    url = reverse("ci-type-detail", args=[ci_type.pk])
    body = assert_problem(
        client.patch(url, {"source_precedence": ["discovery", "discovery"]}, format="json"), 400
    )
    assert body["errors"][0]["field"] == "source_precedence"
    ok = client.patch(url, {"source_precedence": ["discovery", "manual"]}, format="json")
    assert ok.status_code == 200, ok.content
    assert ok.json()["source_precedence"] == ["discovery", "manual"]
