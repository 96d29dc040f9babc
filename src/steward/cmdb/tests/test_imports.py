"""Reconciled imports: identification, dry runs, row-level errors, re-imports changing
nothing; with generated rows and with the real CI names and types of BPIC 2014."""

from __future__ import annotations

import gzip
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from steward.accounts.tests.factories import make_organisation, make_person
from steward.cmdb import imports, library
from steward.cmdb.models import CIType, ConfigurationItem, Relationship
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db

#: The shared data sit beside the repository (``../shared/data``), or beside the folder of
#: its worktrees.
ROOT = Path(__file__).resolve().parents[4]
BPIC_FILE = next(
    (
        base / "shared/data/bpic2014-changes-partial/BPI_2014_Detail_Change.xes.gz"
        for base in (ROOT.parent, ROOT.parent.parent)
        if (base / "shared/data/bpic2014-changes-partial").is_dir()
    ),
    ROOT.parent / "shared/data/bpic2014-changes-partial/BPI_2014_Detail_Change.xes.gz",
)
#: BPIC 2014's CI types, as the default library's classes.
BPIC_CLASSES = {
    "computer": "server",
    "application": "application",
    "software": "application",
    "applicationcomponent": "application",
    "subapplication": "application",
    "networkcomponents": "network_device",
    "database": "database",
    "storage": "storage",
    "hardware": "hardware",
    "Phone": "hardware",
    "officeelectronics": "hardware",
    "displaydevice": "hardware",
}

CSV = (
    "class,name,serial_number,hostname,domain,cpu_cores,status,rel:runs_on\n"
    "server,esx-01,SN-1,esx-01,corp,32,deployed,\n"
    "virtual_server,vm-01,,vm-01,corp,4,deployed,esx-01\n"
    "application,payroll,,,,,,vm-01\n"
)


@pytest.fixture
def classes() -> None:
    library.install()


def _csv(text: str, **options: Any) -> imports.ImportReport:
    return imports.import_file(actor=None, data=text.encode(), fmt="csv", **options)


def test_import_creates_then_reimport_changes_nothing(classes: None) -> None:
    first = _csv(CSV)
    assert (first.applied, first.created, first.relationships_created) == (True, 3, 2)
    assert ConfigurationItem.objects.get(name="esx-01").attributes["cpu_cores"] == 32
    entries = AuditEntry.objects.count()
    again = _csv(CSV)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert again.relationships_unchanged == 2
    assert AuditEntry.objects.count() == entries
    # a changed value is an update of the CI the identification rule finds (serial number)
    renamed = CSV.replace("esx-01,SN-1,esx-01,corp,32", "esx-01b,SN-1,esx-01,corp,64")
    changed = _csv(renamed.replace("deployed,esx-01\n", "deployed,esx-01b\n"))
    assert (changed.applied, changed.created, changed.updated) == (True, 0, 1)
    assert changed.relationships_unchanged == 2
    assert ConfigurationItem.objects.get(serial_number="SN-1").name == "esx-01b"


def test_a_dry_run_reports_and_writes_nothing(classes: None) -> None:
    report = _csv(CSV, dry_run=True)
    assert (report.applied, report.created, report.relationships_created) == (False, 3, 2)
    assert not ConfigurationItem.objects.exists()


def test_bad_rows_are_reported_by_line_and_nothing_is_half_written(classes: None) -> None:
    text = (
        "class,name,serial_number,cpu_cores,rel:runs_on\n"
        "server,a,SN-1,4,\n"
        "router,b,SN-2,,\n"  # unknown class
        "server,c,SN-1,2,\n"  # same serial as line 2
        "server,d,SN-4,many,\n"  # wrong type
        "application,e,,,a\n"  # ok: application runs on a server
        "server,f,SN-6,,e\n"  # a server may not run on an application
    )
    report = _csv(text)
    lines = {(e["line"], e["field"]) for e in report.errors}
    assert lines == {
        (3, "class"),
        (4, "serial_number"),
        (5, "attributes.cpu_cores"),
        (7, "rel:runs_on"),
    }
    assert not report.applied and not ConfigurationItem.objects.exists()
    partial = _csv(text, apply_valid=True)
    assert partial.applied and partial.created == 3
    assert set(ConfigurationItem.objects.values_list("name", flat=True)) == {"a", "e", "f"}
    assert Relationship.objects.count() == 1


def test_unreadable_files_are_refused_whole(classes: None) -> None:
    with pytest.raises(RuleViolation) as encoding:
        imports.import_file(
            actor=None, data="class,name\nserver,caf\xe9\n".encode("latin-1"), fmt="csv"
        )
    assert "line 2" in encoding.value.message_dict["file"][0]
    with pytest.raises(RuleViolation) as columns:
        _csv("name,serial_number\nx,1\n")
    assert "class" in columns.value.message_dict["file"][0]
    with pytest.raises(RuleViolation):
        imports.import_file(actor=None, data=b"[{", fmt="json")


def test_only_those_who_may_add_cis_import(classes: None) -> None:
    agent = make_person(organisation=make_organisation(), roles=["agent"])
    with pytest.raises(Forbidden):
        imports.import_file(actor=agent, data=CSV.encode(), fmt="csv")
    manager = make_person(organisation=make_organisation(), roles=["configuration_manager"])
    assert imports.import_file(actor=manager, data=CSV.encode(), fmt="csv").created == 3


def _bpic_rows(limit: int) -> list[dict[str, Any]]:
    """The first ``limit`` CIs of the BPIC 2014 change log (name, type, service component),
    and their service components as technical services."""
    items: list[dict[str, Any]] = []
    components: dict[str, dict[str, Any]] = {}
    with gzip.open(BPIC_FILE) as stream:
        for _event, element in ET.iterparse(stream):
            if element.tag != "trace":
                continue
            values = {s.get("key"): s.get("value") for s in element.iter("string")}
            element.clear()
            component = values.get("Service Component WBS (aff)")
            row: dict[str, Any] = {
                "class": BPIC_CLASSES.get(values.get("CI Type (aff)") or "", "unknown"),
                "name": values["concept:name"],
                "description": values.get("CI Subtype (aff)") or "",
            }
            if component:
                components.setdefault(component, {"class": "technical_service", "name": component})
                row["relationships"] = [{"type": "provides", "target": component}]
            items.append(row)
            if len(items) >= limit:
                break
    return [*components.values(), *items]


@pytest.mark.skipif(not BPIC_FILE.exists(), reason="the BPIC 2014 data is not on this machine")
def test_the_real_bpic_ci_names_and_types_import_and_reconcile(classes: None) -> None:
    for ci_type in CIType.objects.filter(code__in=set(BPIC_CLASSES.values())):
        ci_type.identified_by = ["name"]
        ci_type.save()
    rows = _bpic_rows(400)
    data = json.dumps({"items": rows}).encode()
    report = imports.import_file(actor=None, data=data, fmt="json", apply_valid=True)
    unknown = [r for r in rows if r["class"] == "unknown"]
    assert report.created == len(rows) - len(unknown)
    assert {e["field"] for e in report.errors} <= {"class"}
    assert len(report.errors) == len(unknown)
    linked = sum(1 for r in rows if r.get("relationships") and r["class"] != "unknown")
    assert report.relationships_created == linked
    again = imports.import_file(actor=None, data=data, fmt="json", apply_valid=True)
    assert (again.created, again.updated, again.relationships_created) == (0, 0, 0)
    assert again.unchanged == report.created


def test_a_discovery_feed_does_not_overwrite_what_a_person_curated(classes: None) -> None:
    from steward.cmdb import services

    _csv(CSV, source="discovery")
    host = ConfigurationItem.objects.get(name="esx-01")
    assert host.attribute_sources["cpu_cores"] == "discovery"
    services.set_ci_attributes(actor=None, item=host, values={"cpu_cores": 48})
    assert ConfigurationItem.objects.get(pk=host.pk).attribute_sources["cpu_cores"] == "manual"
    # the feed says 32 again: the curated 48 stays, and the report says so
    feed = _csv(CSV.replace(",corp,32,", ",corp,16,"), source="discovery")
    assert feed.kept == [{"line": 2, "field": "attributes.cpu_cores", "source": "manual"}]
    assert ConfigurationItem.objects.get(pk=host.pk).attributes["cpu_cores"] == 48
    # a feed may overwrite its own values, and a more trusted import overwrites a feed's
    vm = ConfigurationItem.objects.get(name="vm-01")
    _csv(CSV.replace("vm-01,corp,4,", "vm-01,corp,8,"), source="discovery")
    assert ConfigurationItem.objects.get(pk=vm.pk).attributes["cpu_cores"] == 8
    _csv(CSV.replace("vm-01,corp,4,", "vm-01,corp,6,"), source="import")
    assert ConfigurationItem.objects.get(pk=vm.pk).attribute_sources["cpu_cores"] == "import"
    with pytest.raises(RuleViolation):
        _csv(CSV, source="manual")


def test_a_class_may_trust_discovery_over_people_and_an_attribute_may_differ(
    classes: None,
) -> None:
    from steward.cmdb import services
    from steward.cmdb.models import AttributeDefinition

    server = CIType.objects.get(code="server")
    # servers: the discovery feed knows the hardware better than people do ...
    services.update_ci_type(
        actor=None, ci_type=server, source_precedence=["discovery", "manual", "import"]
    )
    # ... but not the host name, which people curate
    hostname = AttributeDefinition.objects.get(ci_type__code="server", code="hostname")
    services.update_attribute(
        actor=None, definition=hostname, source_precedence=["manual", "discovery"]
    )
    _csv(CSV, source="import")
    host = ConfigurationItem.objects.get(name="esx-01")
    services.set_ci_attributes(
        actor=None, item=host, values={"cpu_cores": 48, "hostname": "esx-01-curated"}
    )
    feed = _csv(
        CSV.replace("esx-01,SN-1,esx-01,corp,32", "esx-01,SN-1,esx-01-found,corp,64"),
        source="discovery",
    )
    host.refresh_from_db()
    assert host.attributes["cpu_cores"] == 64  # the class trusts discovery first
    assert host.attribute_sources["cpu_cores"] == "discovery"
    assert host.attributes["hostname"] == "esx-01-curated"  # the attribute trusts people
    assert feed.kept == [{"line": 2, "field": "attributes.hostname", "source": "manual"}]
    # a virtual server inherits the server's order (its class sets none)
    vm = ConfigurationItem.objects.get(name="vm-01")
    services.set_ci_attributes(actor=None, item=vm, values={"cpu_cores": 2})
    _csv(CSV.replace("vm-01,corp,4,", "vm-01,corp,8,"), source="discovery")
    assert ConfigurationItem.objects.get(pk=vm.pk).attributes["cpu_cores"] == 8
    # the change of precedence is audited with the class
    assert AuditEntry.objects.filter(
        action="ci_type.updated", object_id=str(server.pk), changes__has_key="source_precedence"
    ).exists()


@pytest.mark.parametrize(
    "order", [["Manual"], ["manual", "manual"], "manual", [""], ["two words"], [1]]
)
def test_a_bad_source_precedence_is_refused(classes: None, order: Any) -> None:
    from steward.cmdb import services

    server = CIType.objects.get(code="server")
    with pytest.raises(RuleViolation) as refused:
        services.update_ci_type(actor=None, ci_type=server, source_precedence=order)
    assert "source_precedence" in refused.value.message_dict
    server.refresh_from_db()
    assert server.source_precedence == []
