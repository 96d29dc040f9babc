"""The CMDB's web pages, role by role: lists, a CI, forms, relationships, history, classes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_organisation, make_person
from steward.cmdb import services
from steward.cmdb.choices import AttributeKind, CITypeKind, ImpactDirection
from steward.cmdb.models import AttributeDefinition, CIType, ConfigurationItem, Relationship
from steward.cmdb.tests.factories import (
    make_attribute,
    make_ci,
    make_ci_type,
    make_relationship,
    make_relationship_type,
)
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def _client(user: Person) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _manager() -> Person:
    return make_person(organisation=make_organisation(), roles=["configuration_manager"])


def _agent() -> Person:
    return make_person(organisation=make_organisation(), roles=["agent"])


def test_the_list_filters_pages_and_costs_the_same_queries_for_more_rows() -> None:
    # given CIs of two classes, one of them a subclass
    server = make_ci_type(name="Server")
    virtual = make_ci_type(name="Virtual server", parent=server)
    other = make_ci_type(name="Printer")
    for n in range(3):
        make_ci(name=f"srv-{n}", ci_type=server, support_team=None)
    client = _client(_agent())
    url = reverse("cmdb:ci_list")
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(20):
        make_ci(name=f"vm-{n}", ci_type=virtual, organisation=make_organisation())
        make_ci(name=f"prn-{n}", ci_type=other)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url)
    # then the page costs the same and the filters select by class, subclasses included
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(many) <= 12
    assert len(page.context["page"].object_list) == 43
    filtered = client.get(url, {"ci_type": str(server.pk), "q": "vm-1"})
    names = {ci.name for ci in filtered.context["page"].object_list}
    assert names == {"vm-1"} | {f"vm-1{n}" for n in range(10)}


def test_requesters_do_not_reach_the_cmdb_pages() -> None:
    item = make_ci()
    requester = make_person(organisation=make_organisation())
    client = _client(requester)
    # (the portal's guard answers 403 to requesters on staff pages; the views 404)
    for url in (
        reverse("cmdb:ci_list"),
        reverse("cmdb:ci_detail", args=[item.pk]),
        reverse("cmdb:citype_list"),
    ):
        response = client.get(url)
        assert response.status_code in {403, 404}
        assert item.name not in response.content.decode()


def test_staff_serving_one_organisation_do_not_see_anothers_ci() -> None:
    from steward.accounts import services as accounts

    mine, theirs = make_organisation(), make_organisation()
    agent = make_person(organisation=mine, roles=["agent"])
    accounts.update_person(actor=None, person=agent, serves_organisations=[mine])
    hidden = make_ci(organisation=theirs)
    assert _client(agent).get(reverse("cmdb:ci_detail", args=[hidden.pk])).status_code == 404


def test_creating_a_ci_uses_the_class_attributes_and_refuses_bad_values() -> None:
    ci_type = make_ci_type()
    make_attribute(ci_type=ci_type, code="cores", label="Cores", kind=AttributeKind.INTEGER)
    make_attribute(ci_type=ci_type, code="ip", label="IP", kind=AttributeKind.IP_ADDRESS)
    make_attribute(ci_type=ci_type, code="tag", label="Tag", kind=AttributeKind.STRING, unique=True)
    make_ci(ci_type=ci_type, name="first", attributes={"tag": "T-1"})
    client = _client(_manager())
    url = reverse("cmdb:ci_create")
    # the class decides the fields
    assert "attr_cores" in client.get(url, {"ci_type": ci_type.pk}).context["form"].fields
    count = ConfigurationItem.objects.count()
    # a field error and a service refusal (the unique tag) come back on the form
    refused = client.post(
        url,
        {"ci_type": ci_type.pk, "name": "web-1", "status": "deployed", "attr_ip": "10.0.0.300"},
    )
    assert refused.status_code == 400
    assert "attr_ip" in refused.context["form"].errors
    duplicate = client.post(
        url,
        {"ci_type": ci_type.pk, "name": "web-1", "status": "deployed", "attr_tag": "T-1"},
    )
    assert "attr_tag" in duplicate.context["form"].errors
    assert ConfigurationItem.objects.count() == count
    # a valid form creates the CI with typed attributes
    done = client.post(
        url,
        {
            "ci_type": ci_type.pk,
            "name": "web-1",
            "status": "in_stock",
            "attr_cores": "8",
            "attr_ip": "10.0.0.3",
            "serial_number": "SN-9",
            "cost": "99.90",
        },
    )
    item = ConfigurationItem.objects.get(name="web-1")
    assert done.status_code == 302
    assert item.attributes == {"cores": 8, "ip": "10.0.0.3"}
    assert (item.status, item.serial_number, str(item.cost)) == ("in_stock", "SN-9", "99.90")


def test_agents_may_read_but_not_write() -> None:
    item = make_ci()
    client = _client(_agent())
    page = client.get(reverse("cmdb:ci_detail", args=[item.pk]))
    assert page.status_code == 200
    assert not page.context["may_change"]
    assert client.get(reverse("cmdb:ci_edit", args=[item.pk])).status_code == 403
    assert client.get(reverse("cmdb:ci_create")).status_code == 403
    assert client.post(reverse("cmdb:citype_create"), {"code": "x"}).status_code == 403
    assert not CIType.objects.filter(code="x").exists()


def test_relationships_from_the_ci_page_follow_the_type_rules() -> None:
    server = make_ci_type()
    runs_on = make_relationship_type(name="runs on", acyclic=True, target_types=[server])
    app, host = make_ci(name="app"), make_ci(name="host-1", ci_type=server)
    client = _client(_manager())
    url = reverse("cmdb:relationship_add", args=[app.pk])
    client.post(url, {"type": runs_on.pk, "role": "source", "other": "host-1"})
    assert Relationship.objects.filter(source=app, target=host).exists()
    # the reverse would put the app as a target of a class it may not be
    page = client.post(url, {"type": runs_on.pk, "role": "target", "other": "host-1"}, follow=True)
    assert "cannot be the target" in page.content.decode()
    detail = client.get(reverse("cmdb:ci_detail", args=[host.pk]))
    assert [row["verb"] for row in detail.context["relationships"]] == [runs_on.reverse_name]
    rel = Relationship.objects.get(source=app)
    client.post(reverse("cmdb:relationship_delete", args=[app.pk, rel.pk]))
    assert not Relationship.objects.exists()


def test_the_ci_page_shows_history_and_the_ci_as_of_a_past_time() -> None:
    ci_type = make_ci_type()
    make_attribute(ci_type=ci_type, code="os", label="OS")
    item = make_ci(ci_type=ci_type, name="db-1", attributes={"os": "Debian 12"})
    other = make_ci(name="old-host")
    rel_type = make_relationship_type(name="runs on")
    rel = services.create_relationship(actor=None, source=item, type=rel_type, target=other)
    # "then" is the time of the last entry before the changes below
    past = AuditEntry.objects.for_object(item).latest("created_at").created_at
    services.update_ci(actor=None, item=item, attributes={"os": "Debian 13"}, location="B")
    services.delete_relationship(actor=None, relationship=rel)
    client = _client(_agent())
    url = reverse("cmdb:ci_detail", args=[item.pk])
    now_page = client.get(url)
    assert len(now_page.context["history"]) == 4
    local = timezone.localtime(past).replace(tzinfo=None)
    then = client.get(url, {"as_of": local.isoformat()})
    state = then.context["past"]
    assert state.existed
    assert state.attributes == {"os": "Debian 12"}
    assert state.fields["location"] == ""
    assert [r["target_name"] for r in state.relationships] == ["old-host"]
    before = client.get(url, {"as_of": "2000-01-01T00:00"})
    assert not before.context["past"].existed


def test_impact_page_and_the_incident_panel_show_the_services_hit() -> None:
    from steward.incidents.tests.factories import make_assigned_incident

    customer = make_organisation(name="Acme Health")
    service_type = make_ci_type(kind=CITypeKind.BUSINESS_SERVICE)
    service = make_ci(name="Clinical records", ci_type=service_type)
    services.update_ci(actor=None, item=service, customers=[customer])
    app, db = make_ci(name="ehr-app"), make_ci(name="ehr-db")
    make_relationship(
        source=app, type=make_relationship_type(impact=ImpactDirection.TO_SOURCE), target=db
    )
    make_relationship(
        source=app, type=make_relationship_type(impact=ImpactDirection.TO_TARGET), target=service
    )
    agent = _agent()
    page = _client(agent).get(reverse("cmdb:ci_impact", args=[db.pk]), {"depth": "3"})
    assert [s.name for s in page.context["result"].services] == ["Clinical records"]
    assert "Acme Health" in page.content.decode()
    bad = _client(agent).get(reverse("cmdb:ci_impact", args=[db.pk]), {"depth": "0"})
    assert bad.status_code == 400
    incident, incident_agent = make_assigned_incident(configuration_item=db)
    ticket_page = _client(incident_agent).get(incident.get_absolute_url())
    body = ticket_page.content.decode()
    assert 'data-testid="services-hit"' in body
    assert "Clinical records" in body and "Acme Health" in body


def test_configuration_managers_define_classes_and_attributes_in_the_ui() -> None:
    client = _client(_manager())
    client.post(
        reverse("cmdb:citype_create"),
        {"code": "router", "name": "Router", "kind": "component", "identified_by": ""},
    )
    router = CIType.objects.get(code="router")
    url = reverse("cmdb:attribute_create", args=[router.pk])
    refused = client.post(
        url, {"code": "tier", "label": "Tier", "kind": "choice", "choices": "", "position": 0}
    )
    assert "choices" in refused.context["form"].errors
    client.post(
        url,
        {"code": "tier", "label": "Tier", "kind": "choice", "choices": "a\nb", "position": 0},
    )
    definition = AttributeDefinition.objects.get(ci_type=router)
    assert definition.choices == ["a", "b"]
    client.post(
        reverse("cmdb:citype_edit", args=[router.pk]),
        {"name": "Router", "kind": "component", "identified_by": "tier"},
    )
    assert CIType.objects.get(pk=router.pk).identified_by == ["tier"]
    listing = client.get(reverse("cmdb:citype_list"))
    assert router in listing.context["classes"]
    assert AuditEntry.objects.for_object(router).count() == 3


def test_importing_a_file_from_the_web_shows_the_report() -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from steward.cmdb import library

    library.install()
    client = _client(_manager())
    url = reverse("cmdb:import")
    text = b"class,name,serial_number\nserver,s1,A\nserver,s2,A\n"
    page = client.post(url, {"file": SimpleUploadedFile("cis.csv", text)})
    report = page.context["report"]
    assert (report.applied, report.created) == (False, 1)
    assert report.errors[0]["line"] == 3
    assert not ConfigurationItem.objects.exists()
    good = b"class,name,serial_number\nserver,s1,A\n"
    dry = client.post(url, {"file": SimpleUploadedFile("cis.csv", good), "dry_run": "on"})
    assert dry.context["report"].dry_run and not ConfigurationItem.objects.exists()
    done = client.post(url, {"file": SimpleUploadedFile("cis.csv", good)})
    assert done.context["report"].applied and ConfigurationItem.objects.count() == 1
    assert _client(_agent()).get(url).status_code == 403
