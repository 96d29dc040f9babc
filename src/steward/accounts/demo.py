"""The demo data set: a service provider, two customers, staff, teams and requesters.

Loaded by ``steward demo`` and by ``steward run`` on first start. Idempotent: a second load
changes nothing. Everything is created through the services, so it is audited like any
other change (source ``cli``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction

from steward.accounts import services
from steward.accounts.choices import OrganisationKind, RoleCode
from steward.accounts.models import Organisation, Person

DEMO_DOMAIN = "demo.steward.test"
PROVIDER_CODE = "steward-it"


@dataclass
class DemoResult:
    """What a demo load created (empty when it was already there)."""

    created: bool
    people: list[str] = field(default_factory=list)


STAFF = [
    ("Sam Okafor", "sam.okafor", [RoleCode.AGENT], "Service Desk"),
    ("Priya Raman", "priya.raman", [RoleCode.AGENT, RoleCode.TEAM_LEAD], "Service Desk"),
    ("Lena Fischer", "lena.fischer", [RoleCode.AGENT], "Desktop Support"),
    ("Tomás Ortega", "tomas.ortega", [RoleCode.AGENT, RoleCode.TEAM_LEAD], "Network Operations"),
    ("Mei Chen", "mei.chen", [RoleCode.AGENT], "Platform Engineering"),
    ("Grace Mensah", "grace.mensah", [RoleCode.INCIDENT_MANAGER], None),
    ("Arjun Patel", "arjun.patel", [RoleCode.PROBLEM_MANAGER], None),
    ("Olivia Brown", "olivia.brown", [RoleCode.CHANGE_MANAGER, RoleCode.CAB_MEMBER], None),
    ("Noah Williams", "noah.williams", [RoleCode.CONFIGURATION_MANAGER], None),
    ("Fatima Zahra", "fatima.zahra", [RoleCode.SERVICE_LEVEL_MANAGER], None),
    ("Kenji Sato", "kenji.sato", [RoleCode.RELEASE_MANAGER], None),
    ("Ana Silva", "ana.silva", [RoleCode.CATALOG_MANAGER], None),
    ("Henrik Larsen", "henrik.larsen", [RoleCode.SERVICE_OWNER, RoleCode.CAB_MEMBER], None),
    ("Ruth Adler", "ruth.adler", [RoleCode.AUDITOR], None),
]
TEAMS = [
    ("Service Desk", 1, "priya.raman"),
    ("Desktop Support", 2, None),
    ("Network Operations", 2, "tomas.ortega"),
    ("Platform Engineering", 3, None),
]
REQUESTERS = [
    ("Alice Johnson", "alice.johnson", "northwind"),
    ("Ben Carter", "ben.carter", "northwind"),
    ("Chloé Martin", "chloe.martin", "northwind-clinics"),
    ("Daniel Kim", "daniel.kim", "contoso-schools"),
    ("Elena Petrova", "elena.petrova", "contoso-schools"),
]


@transaction.atomic
def load_demo(*, password: str | None = None) -> DemoResult:
    """Create the demo organisations, people and teams unless they exist."""
    if Organisation.objects.filter(code=PROVIDER_CODE).exists():
        return DemoResult(created=False)
    provider = services.create_organisation(
        actor=None, name="Steward IT Services", code=PROVIDER_CODE, kind=OrganisationKind.PROVIDER
    )
    northwind = services.create_organisation(
        actor=None, name="Northwind Health", code="northwind", requesters_see_organisation=True
    )
    orgs = {
        "northwind": northwind,
        "northwind-clinics": services.create_organisation(
            actor=None,
            name="Northwind Clinics",
            code="northwind-clinics",
            kind=OrganisationKind.DEPARTMENT,
            parent=northwind,
        ),
        "contoso-schools": services.create_organisation(
            actor=None, name="Contoso Schools", code="contoso-schools"
        ),
    }
    people: dict[str, Person] = {}
    result = DemoResult(created=True)
    for full_name, handle, roles, _team in STAFF:
        people[handle] = services.create_person(
            actor=None,
            email=f"{handle}@{DEMO_DOMAIN}",
            full_name=full_name,
            organisation=provider,
            roles=roles,
            password=password,
        )
        result.people.append(people[handle].email)
    for full_name, handle, org in REQUESTERS:
        people[handle] = services.create_person(
            actor=None,
            email=f"{handle}@{DEMO_DOMAIN}",
            full_name=full_name,
            organisation=orgs[org],
            roles=[RoleCode.REQUESTER],
            password=password,
        )
        result.people.append(people[handle].email)
    for name, line, lead in TEAMS:
        members = [people[h] for _n, h, _r, team in STAFF if team == name]
        services.create_team(
            actor=None,
            name=name,
            organisation=provider,
            support_line=line,
            lead=people[lead] if lead else None,
            members=members,
        )
    return result
