"""Baselines: a snapshot of a CI and what it relies on, compared with now and with another."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_organisation, make_person
from steward.cmdb import services
from steward.cmdb.choices import AttributeKind, CITypeKind, ImpactDirection
from steward.cmdb.models import Baseline, ConfigurationItem
from steward.cmdb.tests.factories import (
    make_attribute,
    make_ci,
    make_ci_type,
    make_relationship,
    make_relationship_type,
)
from steward.core.testing import ApiResourceTests, assert_problem

pytestmark = pytest.mark.django_db


def _estate() -> tuple[ConfigurationItem, ConfigurationItem, ConfigurationItem, Any]:
    """service <- app -> db (the app provides the service and depends on the database)."""
    app_type = make_ci_type()
    make_attribute(ci_type=app_type, code="version", kind=AttributeKind.STRING)
    service = make_ci(name="Payroll", ci_type=make_ci_type(kind=CITypeKind.BUSINESS_SERVICE))
    app = make_ci(name="app", ci_type=app_type, attributes={"version": "1"})
    db = make_ci(name="db")
    depends = make_relationship_type(code="depends", impact=ImpactDirection.TO_SOURCE)
    provides = make_relationship_type(code="provides", impact=ImpactDirection.TO_TARGET)
    make_relationship(source=app, type=provides, target=service)
    make_relationship(source=app, type=depends, target=db)
    return service, app, db, depends


def test_a_baseline_holds_the_service_and_what_it_relies_on_and_diffs() -> None:
    service, app, db, depends = _estate()
    baseline = services.create_baseline(actor=None, name="Before", root=service, depth=5)
    assert set(baseline.items.values_list("name", flat=True)) == {"Payroll", "app", "db"}
    assert services.compare_baseline(baseline=baseline).is_empty
    # when the app changes version, the db goes and a cache arrives
    services.update_ci(actor=None, item=app, attributes={"version": "2"})
    rel = app.relationships_out.get(target=db)
    services.delete_relationship(actor=None, relationship=rel)
    cache = make_ci(name="cache")
    services.create_relationship(actor=None, source=app, type=depends, target=cache)
    difference = services.compare_baseline(baseline=baseline)
    assert [e.name for e in difference.added] == ["cache"]
    assert [e.name for e in difference.removed] == ["db"]
    (changed,) = difference.changed
    assert changed["fields"] == {"attributes.version": ["1", "2"]}
    assert changed["relationships_added"] == [["depends", cache.pk]]
    assert changed["relationships_removed"] == [["depends", db.pk]]
    # and two baselines compare with each other the same way
    after = services.create_baseline(actor=None, name="After", root=service)
    assert (
        services.compare_baseline(baseline=baseline, other=after).as_dict() == difference.as_dict()
    )


def _manager() -> Person:
    return make_person(organisation=make_organisation(), roles=["configuration_manager"])


def test_baselines_on_the_web() -> None:
    service, app, _db, _depends = _estate()
    client = Client()
    client.force_login(_manager())
    done = client.post(
        reverse("cmdb:baseline_create", args=[service.pk]), {"name": "B1", "depth": 5}
    )
    baseline = Baseline.objects.get(name="B1")
    assert done["Location"] == baseline.get_absolute_url()
    services.update_ci(actor=None, item=app, attributes={"version": "9"})
    page = client.get(baseline.get_absolute_url())
    assert [c["name"] for c in page.context["difference"].changed] == ["app"]
    agent = Client()
    agent.force_login(make_person(organisation=make_organisation(), roles=["agent"]))
    refused = agent.post(
        reverse("cmdb:baseline_create", args=[service.pk]), {"name": "B2", "depth": 5}
    )
    assert refused.status_code == 403
    assert not Baseline.objects.filter(name="B2").exists()


class TestBaselineApi(ApiResourceTests):
    basename = "baseline"

    def make_object(self, organisation: Any) -> Baseline:
        root = make_ci(organisation=organisation)
        return services.create_baseline(actor=None, name="B", root=root)

    def allowed_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation, roles=["configuration_manager"])

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=make_organisation())

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"name": "Payroll before the upgrade", "root": make_ci(organisation=organisation).pk}


def test_the_compare_endpoint() -> None:
    service, app, _db, _depends = _estate()
    baseline = services.create_baseline(actor=None, name="B", root=service)
    services.update_ci(actor=None, item=app, name="app-2")
    client = APIClient()
    client.force_authenticate(_manager())
    body = client.get(reverse("baseline-compare", args=[baseline.pk])).json()
    assert body["changed"][0]["fields"] == {"name": ["app", "app-2"]}
    assert_problem(client.get(reverse("baseline-compare", args=[baseline.pk]), {"other": "x"}), 400)
    assert_problem(
        client.get(reverse("baseline-compare", args=[baseline.pk]), {"other": "999999"}), 404
    )
