"""The service map: layers by distance, edges between shown CIs, status and open incidents."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts.tests.factories import make_organisation, make_person
from steward.cmdb import servicemap
from steward.cmdb.choices import CIStatus, CITypeKind, ImpactDirection
from steward.cmdb.tests.factories import (
    make_ci,
    make_ci_type,
    make_relationship,
    make_relationship_type,
)

pytestmark = pytest.mark.django_db


def test_the_map_lays_out_the_service_and_what_it_relies_on() -> None:
    service = make_ci(name="Payroll", ci_type=make_ci_type(kind=CITypeKind.BUSINESS_SERVICE))
    provides = make_relationship_type(impact=ImpactDirection.TO_TARGET)
    runs_on = make_relationship_type(impact=ImpactDirection.TO_SOURCE)
    apps = [make_ci(name=f"app-{n}") for n in range(3)]
    host = make_ci(name="host", status=CIStatus.MAINTENANCE)
    for app in apps:
        make_relationship(source=app, type=provides, target=service)
        make_relationship(source=app, type=runs_on, target=host)
    result = servicemap.build(user=None, item=service, depth=4)
    layers = {node.item.name: node.layer for node in result.nodes}
    assert layers == {"Payroll": 0, "app-0": 1, "app-1": 1, "app-2": 1, "host": 2}
    assert len(result.edges) == 6
    xs = {node.item.name: node.x for node in result.nodes}
    assert xs["Payroll"] < xs["app-0"] < xs["host"]
    assert all(edge.path.startswith("M") for edge in result.edges)


def test_the_page_shows_status_and_open_incidents_in_few_queries() -> None:
    from steward.incidents.tests.factories import make_incident

    service = make_ci(name="Payroll", ci_type=make_ci_type(kind=CITypeKind.BUSINESS_SERVICE))
    provides = make_relationship_type(impact=ImpactDirection.TO_TARGET)
    app = make_ci(name="payroll-app")
    make_relationship(source=app, type=provides, target=service)
    make_incident(configuration_item=app)
    make_incident(configuration_item=app)
    client = Client()
    client.force_login(make_person(organisation=make_organisation(), roles=["agent"]))
    url = reverse("cmdb:service_map", args=[service.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        page = client.get(url)
    body = page.content.decode()
    assert 'data-testid="service-map"' in body
    assert "payroll-app, Type" in body and "2 open incidents" in body
    for n in range(20):
        make_relationship(source=make_ci(name=f"app-{n}"), type=provides, target=service)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few) <= 14
