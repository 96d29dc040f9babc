"""Demo incidents: a declared major incident with children and updates, and a few contacts."""

from __future__ import annotations

from steward.accounts.demo import DEMO_DOMAIN
from steward.accounts.models import Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.incidents import services
from steward.incidents.choices import InteractionChannel, MajorIncidentAudience
from steward.incidents.models import Incident, Interaction
from steward.incidents.services import interactions, major

#: (caller, channel, summary, how it ended: "resolved", "raised", "child" or "abandoned")
CONTACTS = [
    ("alice.johnson", InteractionChannel.PHONE, "Forgot her VPN token PIN", "resolved"),
    ("daniel.kim", InteractionChannel.WALK_IN, "Monitor flickers", "raised"),
    ("elena.petrova", InteractionChannel.CHAT, "Charts will not open either", "child"),
    ("chloe.martin", InteractionChannel.PHONE, "Call dropped before details", "abandoned"),
]


def load() -> str:
    if Interaction.objects.exists() or Incident.objects.filter(is_major=True).exists():
        return "Demo major incident already present."
    people = {p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith=DEMO_DOMAIN)}
    manager = people.get("grace.mensah")
    agent = people.get("sam.okafor")
    if manager is None or agent is None or "ben.carter" not in people:
        return "Demo major incident skipped (demo people missing)."
    team = Team.objects.filter(name="Platform Engineering").first()
    service = ConfigurationItem.objects.filter(name="Clinical records").first()
    parent = services.open_incident(
        actor=None,
        title="Clinical records unavailable for every ward",
        requester=people["ben.carter"],
        description="Monitoring and many callers: the records service times out since 08:40.",
        service=service,
        impact=1,
        urgency=1,
        team=team,
        contact_type="monitoring",
    )
    parent = major.declare_major(
        actor=None, incident=parent, manager=manager, reason="Every ward is affected."
    )
    children = []
    for handle in ("alice.johnson", "chloe.martin"):
        children.append(
            services.open_incident(
                actor=None,
                title="Patient charts do not load",
                requester=people[handle],
                service=service,
                contact_type="phone",
            )
        )
    major.attach_children(actor=manager, parent=parent, children=children)
    major.post_update(
        actor=manager,
        incident=parent,
        audience=MajorIncidentAudience.INTERNAL,
        body="Database failover started; Platform Engineering on the bridge.",
    )
    major.post_update(
        actor=manager,
        incident=parent,
        audience=MajorIncidentAudience.CUSTOMERS,
        body="Clinical records are unavailable. We are restoring the service; next update 10:00.",
    )
    for handle, channel, summary, ending in CONTACTS:
        if handle not in people:
            continue
        contact = interactions.log_interaction(
            actor=agent, caller=people[handle], channel=channel, summary=summary
        )
        if ending == "resolved":
            interactions.resolve_on_first_contact(
                actor=agent, interaction=contact, resolution="Reset the PIN with her."
            )
        elif ending == "raised":
            interactions.raise_incident_from_interaction(actor=agent, interaction=contact)
        elif ending == "child":
            interactions.link_interaction(actor=agent, interaction=contact, incident=parent)
        else:
            interactions.abandon_interaction(actor=agent, interaction=contact)
    return f"Demo major incident {parent.number} with {len(children)} children; contacts."
