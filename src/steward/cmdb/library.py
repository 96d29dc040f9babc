"""The default class library: the CI classes, attributes and relationship types most IT
organisations start from. ``install`` is idempotent: what exists (by code) is left as it is,
so administrators' changes survive a re-run. Used by ``steward cmdb library`` and the demo."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from steward.cmdb import services
from steward.cmdb.choices import AttributeKind as A
from steward.cmdb.choices import CITypeKind, ImpactDirection
from steward.cmdb.models import AttributeDefinition, CIType, RelationshipType

K = CITypeKind
#: (code, name, kind, parent code, identified by, [(code, label, kind, options)])
CLASSES: list[
    tuple[str, str, str, str | None, list[str], list[tuple[str, str, str, dict[str, Any]]]]
] = [
    (
        "business_service",
        "Business service",
        K.BUSINESS_SERVICE,
        None,
        ["name"],
        [
            (
                "criticality",
                "Criticality",
                A.CHOICE,
                {"choices": ["low", "medium", "high", "critical"]},
            ),
            ("service_hours", "Service hours", A.STRING, {}),
            ("portal_url", "Portal", A.URL, {}),
        ],
    ),
    (
        "technical_service",
        "Technical service",
        K.TECHNICAL_SERVICE,
        None,
        ["name"],
        [
            (
                "criticality",
                "Criticality",
                A.CHOICE,
                {"choices": ["low", "medium", "high", "critical"]},
            ),
        ],
    ),
    (
        "hardware",
        "Hardware",
        K.COMPONENT,
        None,
        ["serial_number"],
        [
            ("asset_tag", "Asset tag", A.STRING, {"unique": True}),
            ("model", "Model", A.STRING, {}),
        ],
    ),
    (
        "server",
        "Server",
        K.COMPONENT,
        "hardware",
        ["serial_number", "hostname"],
        [
            ("hostname", "Host name", A.STRING, {}),
            ("domain", "Domain", A.STRING, {}),
            ("ip_address", "IP address", A.IP_ADDRESS, {}),
            ("os", "Operating system", A.STRING, {}),
            ("cpu_cores", "CPU cores", A.INTEGER, {}),
            ("memory_gb", "Memory (GB)", A.DECIMAL, {}),
        ],
    ),
    (
        "virtual_server",
        "Virtual server",
        K.COMPONENT,
        "server",
        ["hostname"],
        [
            (
                "hypervisor",
                "Hypervisor",
                A.CHOICE,
                {"choices": ["vmware", "hyper-v", "kvm", "xen", "cloud"]},
            ),
        ],
    ),
    (
        "workstation",
        "Workstation",
        K.COMPONENT,
        "hardware",
        ["serial_number"],
        [
            ("hostname", "Host name", A.STRING, {}),
        ],
    ),
    (
        "network_device",
        "Network device",
        K.COMPONENT,
        "hardware",
        ["serial_number"],
        [
            ("management_ip", "Management IP", A.IP_ADDRESS, {}),
            (
                "role",
                "Role",
                A.CHOICE,
                {"choices": ["switch", "router", "firewall", "load balancer", "wireless"]},
            ),
            ("ports", "Ports", A.INTEGER, {}),
        ],
    ),
    (
        "storage",
        "Storage",
        K.COMPONENT,
        "hardware",
        ["serial_number"],
        [
            ("capacity_tb", "Capacity (TB)", A.DECIMAL, {}),
            ("replicated", "Replicated", A.BOOLEAN, {}),
        ],
    ),
    (
        "application",
        "Application",
        K.COMPONENT,
        None,
        ["name"],
        [
            ("version", "Version", A.STRING, {}),
            ("url", "URL", A.URL, {}),
            ("vendor_supported", "Vendor supported", A.BOOLEAN, {}),
        ],
    ),
    (
        "database",
        "Database",
        K.COMPONENT,
        None,
        ["name"],
        [
            (
                "engine",
                "Engine",
                A.CHOICE,
                {"choices": ["postgresql", "mysql", "oracle", "sql server", "other"]},
            ),
            ("version", "Version", A.STRING, {}),
            ("size_gb", "Size (GB)", A.DECIMAL, {}),
        ],
    ),
    (
        "document",
        "Document",
        K.COMPONENT,
        None,
        ["name"],
        [
            ("url", "Location", A.URL, {}),
            ("review_date", "Next review", A.DATE, {}),
        ],
    ),
]
#: (code, name, reverse name, impact, acyclic, source classes, target classes)
RELATIONSHIP_TYPES: list[tuple[str, str, str, str, bool, list[str], list[str]]] = [
    ("depends_on", "depends on", "is used by", ImpactDirection.TO_SOURCE, False, [], []),
    ("runs_on", "runs on", "hosts", ImpactDirection.TO_SOURCE, True,
     ["application", "database", "virtual_server", "technical_service"], ["server"]),
    ("connects_to", "connects to", "is connected to by", ImpactDirection.TO_SOURCE, False,
     ["hardware"], ["hardware"]),
    ("member_of", "is a member of", "has member", ImpactDirection.TO_TARGET, True, [], []),
    ("provides", "provides", "is provided by", ImpactDirection.TO_TARGET, False,
     ["application", "database", "technical_service", "hardware"],
     ["business_service", "technical_service"]),
]  # fmt: skip


@transaction.atomic
def install() -> str:
    """Create the classes, attributes and relationship types that do not exist yet."""
    made = {"classes": 0, "attributes": 0, "relationship types": 0}
    by_code = {t.code: t for t in CIType.objects.all()}
    for code, name, kind, parent, identified_by, attributes in CLASSES:
        ci_type = by_code.get(code)
        created = ci_type is None
        if ci_type is None:
            ci_type = services.create_ci_type(
                actor=None,
                code=code,
                name=name,
                kind=kind,
                parent=by_code.get(parent) if parent else None,
            )
            by_code[code] = ci_type
            made["classes"] += 1
        existing = set(
            AttributeDefinition.objects.filter(ci_type__in=ci_type.lineage()).values_list(
                "code", flat=True
            )
        )
        for position, (attr, label, attr_kind, options) in enumerate(attributes):
            if attr in existing:
                continue
            services.create_attribute(
                actor=None,
                ci_type=ci_type,
                code=attr,
                label=label,
                kind=attr_kind,
                position=position,
                **options,
            )
            made["attributes"] += 1
        if created:
            known = {
                d.code for d in AttributeDefinition.objects.filter(ci_type__in=ci_type.lineage())
            }
            keys = [k for k in identified_by if k in known or k in ("name", "serial_number")]
            services.update_ci_type(actor=None, ci_type=ci_type, identified_by=keys)
    present = set(RelationshipType.objects.values_list("code", flat=True))
    for code, name, reverse, impact, acyclic, sources, targets in RELATIONSHIP_TYPES:
        if code in present:
            continue
        services.create_relationship_type(
            actor=None,
            code=code,
            name=name,
            reverse_name=reverse,
            impact=impact,
            acyclic=acyclic,
            source_types=[by_code[c] for c in sources if c in by_code],
            target_types=[by_code[c] for c in targets if c in by_code],
        )
        made["relationship types"] += 1
    return "Class library: " + ", ".join(f"{n} {what} added" for what, n in made.items()) + "."
