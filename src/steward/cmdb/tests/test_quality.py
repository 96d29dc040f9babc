"""The data-quality report: each check finds what it says, through the policy."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.tests.factories import make_organisation, make_person
from steward.cmdb.choices import AttributeKind, CITypeKind
from steward.cmdb.models import ConfigurationItem
from steward.cmdb.quality import quality_report
from steward.cmdb.tests.factories import (
    make_attribute,
    make_ci,
    make_ci_type,
    make_relationship,
)
from steward.core.testing import assert_problem

pytestmark = pytest.mark.django_db


def test_the_report_finds_gaps_orphans_unowned_services_and_duplicates() -> None:
    server = make_ci_type(code="srv")
    make_attribute(ci_type=server, code="hostname", kind=AttributeKind.STRING)
    make_attribute(ci_type=server, code="domain", kind=AttributeKind.STRING)
    server.identified_by = ["serial_number", "hostname+domain"]
    server.save()
    a = make_ci(name="a", ci_type=server, serial_number="S1")
    b = make_ci(name="b", ci_type=server, serial_number="S1")
    c = make_ci(name="c", ci_type=server, attributes={"hostname": "h", "domain": "x"})
    make_ci(name="d", ci_type=server, attributes={"hostname": "h", "domain": "x"})
    make_ci(name="e", ci_type=server, attributes={"hostname": "h", "domain": "y"})
    make_relationship(source=a, target=b)
    owner = make_person()
    service_type = make_ci_type(kind=CITypeKind.BUSINESS_SERVICE)
    unowned = make_ci(name="Payroll", ci_type=service_type)
    make_ci(name="Mail", ci_type=service_type, owner=owner)
    # a required attribute whose value went missing outside the services
    make_attribute(ci_type=server, code="rack", kind=AttributeKind.STRING)
    definition = server.attribute_defs.get(code="rack")
    definition.required = True
    definition.save()
    ConfigurationItem.objects.filter(pk=c.pk).update(
        attributes={"hostname": "h", "domain": "x", "rack": ""}
    )
    report = quality_report(user=None)
    assert report.missing_required.count == 5
    orphans = {row["name"] for row in report.orphans.rows}
    assert orphans == {"c", "d", "e", "Payroll", "Mail"}
    assert [row["id"] for row in report.services_without_owner.rows] == [unowned.pk]
    groups = {
        (row["key"], row["value"]): {ci["name"] for ci in row["cis"]}
        for row in report.duplicates.rows
    }
    assert groups == {
        ("serial_number", "S1"): {"a", "b"},
        ("hostname+domain", "h + x"): {"c", "d"},
    }


def test_the_report_is_for_cmdb_readers_on_the_web_and_the_api() -> None:
    make_ci()
    agent = make_person(organisation=make_organisation(), roles=["agent"])
    web = Client()
    web.force_login(agent)
    assert web.get(reverse("cmdb:quality")).status_code == 200
    api = APIClient()
    api.force_authenticate(agent)
    body = api.get(reverse("cmdb-quality")).json()
    assert body["orphans"]["count"] == 1
    nobody = APIClient()
    nobody.force_authenticate(make_person(organisation=make_organisation()))
    assert_problem(nobody.get(reverse("cmdb-quality")), 403)
