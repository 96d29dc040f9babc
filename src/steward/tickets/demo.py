"""Demo services, CIs and tickets, so a first look at the queue is not an empty page."""

from __future__ import annotations

from steward.accounts.demo import DEMO_DOMAIN
from steward.accounts.models import Person, Team
from steward.cmdb import services as cmdb
from steward.cmdb.choices import CITypeKind
from steward.cmdb.models import CIType
from steward.tickets import services
from steward.tickets.models import Ticket

SERVICES = [
    ("E-mail and calendar", "Service Desk"),
    ("Clinical records", "Platform Engineering"),
    ("Campus network", "Network Operations"),
    ("Student portal", "Platform Engineering"),
]
COMPONENTS = [
    ("server", "Server", ["mail-01", "ehr-db-01", "portal-web-01"]),
    ("network_device", "Network device", ["core-switch-a", "wifi-controller"]),
]
#: (requester, title, service, impact, urgency, team, assignee, steps)
TICKETS = [
    (
        "alice.johnson",
        "Outlook keeps asking for my password",
        0,
        3,
        2,
        "Service Desk",
        "sam.okafor",
        ["in_progress"],
    ),
    (
        "ben.carter",
        "Cannot open patient charts since 9:00",
        1,
        1,
        1,
        "Platform Engineering",
        "mei.chen",
        ["in_progress"],
    ),
    (
        "chloe.martin",
        "Wi-Fi drops in the east wing",
        2,
        2,
        2,
        "Network Operations",
        "tomas.ortega",
        ["in_progress", "on_hold"],
    ),
    ("daniel.kim", "Portal shows last year's timetable", 3, 2, 3, "Platform Engineering", None, []),
    (
        "elena.petrova",
        "New starter needs a mailbox",
        0,
        3,
        3,
        "Service Desk",
        "priya.raman",
        ["in_progress", "resolved"],
    ),
    ("alice.johnson", "Printer on floor 2 jams", None, 3, 3, "Service Desk", None, []),
]


def load() -> str:
    if Ticket.objects.exists():
        return "Demo tickets already present."
    # The CMDB's class library may have made the classes already.
    business = CIType.objects.filter(code="business_service").first() or cmdb.create_ci_type(
        actor=None,
        code="business_service",
        name="Business service",
        kind=CITypeKind.BUSINESS_SERVICE,
    )
    teams = {team.name: team for team in Team.objects.all()}
    service_cis = [
        cmdb.create_ci(actor=None, name=name, ci_type=business, support_team=teams.get(team))
        for name, team in SERVICES
    ]
    for code, name, items in COMPONENTS:
        ci_type = CIType.objects.filter(code=code).first() or cmdb.create_ci_type(
            actor=None, code=code, name=name, kind=CITypeKind.COMPONENT
        )
        for item in items:
            cmdb.create_ci(actor=None, name=item, ci_type=ci_type)
    people = {p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith=DEMO_DOMAIN)}
    for requester, title, service, impact, urgency, team, assignee, steps in TICKETS:
        ticket = services.create_ticket(
            actor=None,
            title=title,
            requester=people[requester],
            description="Reported through the portal.",
            service=service_cis[service] if service is not None else None,
            impact=impact,
            urgency=urgency,
            team=teams[team],
            assignee=people[assignee] if assignee else None,
        )
        for state in steps:
            values = (
                {"resolution": "Mailbox created and details sent."} if state == "resolved" else {}
            )
            ticket = services.transition_ticket(actor=None, ticket=ticket, to=state, values=values)
    return f"Demo tickets: {len(TICKETS)} tickets on {len(SERVICES)} services."
