"""Demo incidents for the self-service portal: alice.johnson finds one in progress with a
reply, one resolved waiting for her confirmation and rating, and one closed and rated; a rated
incident of ben.carter gives the satisfaction report something to show."""

from __future__ import annotations

from typing import Any

from steward.accounts.demo import DEMO_DOMAIN
from steward.accounts.models import Person, Team
from steward.incidents import services as incidents
from steward.incidents.choices import IncidentResolutionCode, IncidentState
from steward.incidents.models import Incident
from steward.servicedesk import satisfaction
from steward.tickets import services as tickets

#: (requester, title, agent, steps, agent's reply, resolution, rating, rating comment)
INCIDENTS = [
    (
        "alice.johnson",
        "VPN drops every few minutes",
        "sam.okafor",
        ["in_progress"],
        "Thanks, Alice. Could you tell us which Wi-Fi network you were on?",
        "",
        None,
        "",
    ),
    (
        "alice.johnson",
        "Cannot print to the floor 3 printer",
        "sam.okafor",
        ["in_progress", "resolved"],
        "The print queue was stuck; we cleared it.",
        "Cleared the stuck print queue on the print server and reinstalled the driver.",
        None,
        "",
    ),
    (
        "alice.johnson",
        "Calendar invitations arrive twice",
        "priya.raman",
        ["in_progress", "resolved", "closed"],
        "",
        "Removed a duplicate forwarding rule from the mailbox.",
        4,
        "Quick and friendly.",
    ),
    (
        "ben.carter",
        "Clinical records slow in the afternoon",
        "mei.chen",
        ["in_progress", "resolved", "closed"],
        "",
        "Rebuilt the search index of the records database.",
        2,
        "It took three days to hear back.",
    ),
]


def load() -> str:
    people = {p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith=DEMO_DOMAIN)}
    if "alice.johnson" not in people:
        return "Demo portal incidents skipped (no demo people)."
    titles = [title for _, title, *_ in INCIDENTS]
    if Incident.objects.filter(requester=people["alice.johnson"], title__in=titles).exists():
        return "Demo portal incidents already present."
    for requester, title, agent, steps, reply, resolution, score, comment in INCIDENTS:
        person, worker = people[requester], people[agent]
        team = Team.objects.filter(memberships__person=worker).order_by("support_line").first()
        incident = incidents.open_incident(
            actor=person,
            title=title,
            requester=person,
            description="Reported through the self-service portal.",
        )
        incidents.reassign(actor=None, incident=incident, team=team, assignee=worker)
        tickets.add_comment(
            actor=worker, ticket=incident, body="Checked the logs; nothing yet.", is_public=False
        )
        if reply:
            tickets.add_comment(actor=worker, ticket=incident, body=reply)
        for state in steps:
            values: dict[str, Any] = {}
            if state == IncidentState.RESOLVED:
                values = {
                    "resolution": resolution,
                    "resolution_code": IncidentResolutionCode.SOLVED_PERMANENTLY,
                }
            if state == IncidentState.IN_PROGRESS:
                values = {"assignee": worker}
            incident = incidents.transition_incident(
                actor=None, incident=incident, to=state, values=values
            )
        if score is not None:
            satisfaction.rate(actor=person, ticket=incident, score=score, comment=comment)
    return f"Demo portal: {len(INCIDENTS)} incidents, alice.johnson has one to confirm and rate."
