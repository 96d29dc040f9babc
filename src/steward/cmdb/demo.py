"""Demo CMDB: the class library and a small payroll service with what it runs on."""

from __future__ import annotations

from steward.accounts.models import Organisation, Team
from steward.cmdb import library, services
from steward.cmdb.models import CIType, ConfigurationItem, RelationshipType

#: (name, class code, attributes, asset data)
ITEMS = [
    ("Payroll", "business_service", {"criticality": "high", "service_hours": "Mon-Fri 07-19"}, {}),
    ("payroll-app", "application", {"version": "4.2"}, {}),
    ("payroll-db", "database", {"engine": "postgresql", "version": "16"}, {}),
    (
        "vm-payroll-01",
        "virtual_server",
        {"hostname": "vm-payroll-01", "ip_address": "10.20.1.15", "hypervisor": "kvm"},
        {"location": "Data centre A"},
    ),
    (
        "esx-01",
        "server",
        {"hostname": "esx-01", "cpu_cores": 64, "memory_gb": "512"},
        {"serial_number": "SRV-88121", "vendor": "Dell", "location": "Data centre A, rack 4"},
    ),
    (
        "db-host-01",
        "server",
        {"hostname": "db-host-01", "cpu_cores": 32},
        {"serial_number": "SRV-88122", "vendor": "Dell", "location": "Data centre A, rack 5"},
    ),
    (
        "core-switch-b",
        "network_device",
        {"role": "switch", "ports": 48},
        {"serial_number": "NET-2231", "vendor": "Cisco", "location": "Data centre A"},
    ),
]
#: (source, relationship type code, target)
LINKS = [
    ("payroll-app", "provides", "Payroll"),
    ("payroll-app", "depends_on", "payroll-db"),
    ("payroll-app", "runs_on", "vm-payroll-01"),
    ("vm-payroll-01", "runs_on", "esx-01"),
    ("payroll-db", "runs_on", "db-host-01"),
    ("esx-01", "connects_to", "core-switch-b"),
    ("db-host-01", "connects_to", "core-switch-b"),
]


def load() -> str:
    summary = library.install()
    if ConfigurationItem.objects.filter(name="payroll-app").exists():
        return summary + " Demo CMDB already present."
    types = {t.code: t for t in CIType.objects.all()}
    team = Team.objects.filter(name="Platform Engineering").first()
    made = {}
    for name, code, attributes, asset in ITEMS:
        made[name] = services.create_ci(
            actor=None,
            name=name,
            ci_type=types[code],
            attributes=attributes,
            support_team=team,
            **asset,
        )
    customers = list(Organisation.objects.filter(kind="customer")[:2])
    if customers:
        services.update_ci(actor=None, item=made["Payroll"], customers=customers)
    kinds = {t.code: t for t in RelationshipType.objects.all()}
    for source, code, target in LINKS:
        services.create_relationship(
            actor=None, source=made[source], type=kinds[code], target=made[target]
        )
    return summary + f" Demo CMDB: {len(made)} CIs, {len(LINKS)} relationships."
