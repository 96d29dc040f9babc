"""Demo problems: one under analysis with linked incidents, and one known error."""

from __future__ import annotations

from steward.accounts.demo import DEMO_DOMAIN
from steward.accounts.models import Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.incidents import services as incidents
from steward.incidents.models import Incident
from steward.problems import services
from steward.problems.choices import ProblemState, RcaMethod
from steward.problems.models import Problem


def load() -> str:
    if Problem.objects.exists():
        return "Demo problems already present."
    people = {p.email.split("@")[0]: p for p in Person.objects.filter(email__endswith=DEMO_DOMAIN)}
    if "ben.carter" not in people:
        return "Demo problems skipped (demo people missing)."
    manager = people.get("arjun.patel")  # the demo problem manager
    if manager is None:
        return "Demo problems skipped (no problem manager)."
    team = Team.objects.filter(name="Platform Engineering").first()
    service = ConfigurationItem.objects.filter(name="Clinical records").first()
    outage = services.open_problem(
        actor=manager,
        title="Clinical records time out when the database fails over",
        description="Every failover of the records database leaves the service unavailable "
        "for 20-40 minutes; wards call the desk each time.",
        service=service,
        impact=1,
        urgency=2,
        team=team,
    )
    outage = services.transition_problem(actor=manager, problem=outage, to=ProblemState.ASSESSED)
    outage = services.transition_problem(
        actor=manager, problem=outage, to=ProblemState.ROOT_CAUSE_ANALYSIS
    )
    services.record_analysis(
        actor=manager,
        problem=outage,
        method=RcaMethod.FIVE_WHYS,
        data={
            "problem_statement": "Clinical records stop answering after a database failover.",
            "whys": [
                "The application keeps connections to the old primary.",
                "Its connection pool never re-resolves the database address.",
                "The pool caches DNS for the life of the process.",
            ],
        },
    )
    linked = (
        list(Incident.objects.filter(service=service).order_by("pk")[:3])
        if service is not None
        else []
    )
    if not linked:
        linked = [
            incidents.open_incident(
                actor=None,
                title="Patient charts do not load after the night's maintenance",
                requester=people["ben.carter"],
                service=service,
                contact_type="phone",
            )
        ]
    services.link_incidents(actor=manager, problem=outage, incidents=linked)

    printing = services.open_problem(
        actor=manager,
        title="Label printers drop jobs after the driver update",
        description="Wards report lost wristband labels since the printer driver update.",
        impact=2,
        urgency=2,
        team=team,
    )
    services.record_analysis(
        actor=manager,
        problem=printing,
        method=RcaMethod.ISHIKAWA,
        data={
            "effect": "Label print jobs vanish from the queue",
            "causes": {
                "technology": ["Driver 5.2 times out on the spooler after 30 s"],
                "process": ["Driver updates are rolled out without a print test"],
            },
        },
        root_cause="Printer driver 5.2 drops jobs the spooler holds longer than 30 seconds.",
        workaround="Restart the *Print Spooler* service on the ward PC, then print again.",
    )
    printing = services.transition_problem(
        actor=manager, problem=printing, to=ProblemState.ASSESSED
    )
    printing = services.transition_problem(
        actor=manager, problem=printing, to=ProblemState.KNOWN_ERROR
    )
    return (
        f"Demo problems {outage.number} ({len(linked)} incidents) "
        f"and known error {printing.number}."
    )
