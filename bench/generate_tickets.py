"""Synthetic tickets (plain tasks or incidents) on top of ``bench.generate``'s people and teams.

Run against a database filled by ``bench.generate`` (``DATABASE_URL``)::

    python -m bench.generate_tickets --tickets 1000000 [--kind ticket|incident] [--seed 1]
        [--batch-size 5000] [--audit] [--search]

Proportions, for ``--tickets N``:

* **Kind and number**: every ticket is a plain ``tickets.ticket`` (a task) numbered
  ``TSK0000001`` upwards, in id order; with ``--kind incident`` an ``incidents.incident``
  numbered ``INC0000001`` upwards, its incident row beside the ticket row (contact type by
  the requester's source: portal, e-mail, or phone for the API's share; resolved and closed
  ones with a resolution code). Afterwards the kind's number sequence restarts after the
  last one (``core.numbering.restart_after``), so new tickets carry on from there.
* **When**: opened over the two years before ``--until`` (default: now, to the hour), evenly
  in id order, as a live system inserts them.
* **Open or not**: a ticket opened ``d`` days ago is still open with probability
  ``0.10 + 0.61 * exp(-d / 60)``: about 71% of today's, 10% of old ones, 15% of all. Open
  tickets are ``new`` (20%), ``assigned`` (25%), ``in_progress`` (40%) or ``on_hold`` (15%);
  the rest are ``cancelled`` (4%), ``resolved`` (resolved less than 7 days before
  ``--until``) or ``closed`` (7 days after resolution). Resolution takes a log-normal time
  (median 20 hours); the first response a log-normal 25 minutes (median), never after it.
  ``state_category`` is the state's category in the ``full`` workflow
  (``tickets.workflows.FULL``); the resolved and closed stamps follow ``core.workflow``.
* **Priority**: 1 to 5 in 2/8/30/35/25%, with an impact and urgency the default matrix maps to
  it (``tickets.choices.DEFAULT_MATRIX``).
* **Who**: the requester is any active requester (so organisations get tickets by size), and
  the ticket's organisation is theirs. Teams get tickets by uneven (log-normal) weights, so
  some queues are far busier than others; 30% of ``new`` tickets have no team yet. The
  assignee is a member of the team: none for ``new``, 60% of ``assigned``, everybody later
  (half of the cancelled).
* **Audit** (``--audit``): one ``ticket.created`` entry per ticket as ``create_ticket`` writes
  it (creation-time values: state ``new``, no assignee), dated when the ticket opened, by the
  requester (web 60%, e-mail 30%, API 10%) or, for 30% of routed tickets, by a member of the
  team on the web.

* **Search** (``--search``): every ticket's full-text entry, written afterwards by
  ``tickets.search.reindex_all`` (what the services keep up to date one ticket at a time).

Rows go in with ``bulk_create``, one transaction per batch. The same ``--seed``,
``--tickets`` and ``--until`` give the same tickets whatever the ``--batch-size``, and with or
without ``--audit``. It refuses a database that holds tickets already. Run ``VACUUM ANALYZE``
(what autovacuum would soon do) afterwards; the command line does.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import math
import os
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from steward.tickets.choices import DEFAULT_MATRIX, TicketState

# Models (and the workflows, which import them) are imported inside the functions, so
# ``python -m bench.generate_tickets`` can set Django up first.

# --- proportions ---------------------------------------------------------------------------

KIND = "tickets.ticket"
PREFIX = "TSK"
SEQUENCE = "task"


@dataclass(frozen=True)
class Kind:
    """What a generated ticket is: its ``kind`` value, number prefix and number sequence."""

    label: str
    prefix: str
    sequence: str
    action: str


KINDS = {
    "ticket": Kind(KIND, PREFIX, SEQUENCE, "ticket.created"),
    "incident": Kind("incidents.incident", "INC", "incident", "incident.created"),
}
#: Contact type of a generated incident, by the source its creation came from.
CONTACT_TYPES = {"web": "portal", "email": "email", "api": "phone"}
SPAN = timedelta(days=730)
OPEN_FLOOR = 0.10
OPEN_RECENT = 0.61
OPEN_DECAY_DAYS = 60.0
OPEN_STATE_WEIGHTS: dict[str, float] = {
    TicketState.NEW: 0.20,
    TicketState.ASSIGNED: 0.25,
    TicketState.IN_PROGRESS: 0.40,
    TicketState.ON_HOLD: 0.15,
}
CANCELLED_SHARE = 0.04
AUTO_CLOSE_AFTER = timedelta(days=7)
RESOLVE_MEDIAN_HOURS = 20.0
RESOLVE_SIGMA = 1.3
FIRST_RESPONSE_MEDIAN_MINUTES = 25.0
FIRST_RESPONSE_SIGMA = 1.0
PRIORITY_WEIGHTS: dict[int, float] = {1: 0.02, 2: 0.08, 3: 0.30, 4: 0.35, 5: 0.25}
UNROUTED_NEW_SHARE = 0.30
ASSIGNED_WITH_ASSIGNEE_SHARE = 0.60
CANCELLED_WITH_ASSIGNEE_SHARE = 0.50
TEAM_WEIGHT_SIGMA = 1.0
LOGGED_BY_AGENT_SHARE = 0.30
REQUESTER_SOURCES: dict[str, float] = {"web": 0.60, "email": 0.30, "api": 0.10}
#: Version after the transitions that lead to each state (creation is version 1).
VERSIONS: dict[str, int] = {
    TicketState.NEW: 1,
    TicketState.ASSIGNED: 2,
    TicketState.IN_PROGRESS: 3,
    TicketState.ON_HOLD: 4,
    TicketState.RESOLVED: 4,
    TicketState.CLOSED: 5,
    TicketState.CANCELLED: 2,
}

MIN_TICKETS = 1
MAX_TICKETS = 5_000_000
DEFAULT_BATCH_SIZE = 5000

SUBJECTS = (
    "Printer on floor 2",
    "Laptop",
    "VPN",
    "Outlook",
    "Shared drive",
    "Wi-Fi in the east wing",
    "Payroll portal",
    "Teams meeting room",
    "Badge reader",
    "Password",
    "Monitor",
    "Phone extension",
    "CRM",
    "Backup job",
    "Mobile phone",
    "Docking station",
)
PROBLEMS = (
    "is not working",
    "is very slow",
    "keeps disconnecting",
    "shows an error",
    "needs replacing",
    "asks for my password again",
    "cannot be reached",
    "needs access for a new starter",
    "stopped after the update",
    "is missing",
)
DESCRIPTIONS = (
    "Since this morning. Restarting did not help.",
    "It happens a few times a day, usually after lunch.",
    "The error says *access denied*. Screenshot on request.",
    "Colleagues in the same office have the same problem.",
    "Needed before Monday, please.",
    "",
)
RESOLUTIONS = (
    "Restarted the service; the user confirmed it works.",
    "Replaced the device.",
    "Reset the password and re-enrolled the account.",
    "Access granted after the manager's approval.",
    "Known issue; fixed by the vendor's update.",
    "Duplicate of an earlier request.",
)


def _cell_choices() -> dict[int, list[tuple[int, int]]]:
    cells: dict[int, list[tuple[int, int]]] = {}
    for cell, priority in sorted(DEFAULT_MATRIX.items()):
        cells.setdefault(priority, []).append(cell)
    return cells


CELLS_BY_PRIORITY = _cell_choices()
_PRIORITIES = list(PRIORITY_WEIGHTS)
_PRIORITY_CUM = list(itertools.accumulate(PRIORITY_WEIGHTS.values()))
_OPEN_STATES = list(OPEN_STATE_WEIGHTS)
_OPEN_CUM = list(itertools.accumulate(OPEN_STATE_WEIGHTS.values()))
_SOURCES = list(REQUESTER_SOURCES)
_SOURCE_CUM = list(itertools.accumulate(REQUESTER_SOURCES.values()))


@functools.cache
def categories() -> dict[str, str]:
    """``state_category`` of each state, from the ``full`` workflow itself."""
    from steward.tickets.workflows import FULL

    return {state.code: state.category for state in FULL.states}


def open_probability(age_days: float) -> float:
    """The chance that a ticket opened ``age_days`` ago is still open."""
    return OPEN_FLOOR + OPEN_RECENT * math.exp(-max(age_days, 0.0) / OPEN_DECAY_DAYS)


def expected_open_share() -> float:
    """The average of ``open_probability`` over ``SPAN``: the share of open tickets."""
    days = SPAN.total_seconds() / 86400
    decay = OPEN_DECAY_DAYS / days * (1 - math.exp(-days / OPEN_DECAY_DAYS))
    return OPEN_FLOOR + OPEN_RECENT * decay


# --- one ticket ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Population:
    """Who tickets are for and who works them, read once from the generated people."""

    #: (person id, organisation id, e-mail) of every active requester.
    requesters: Sequence[tuple[int, int | None, str]]
    #: Team ids, and their cumulative weights (busy and quiet teams).
    teams: Sequence[int]
    team_cum_weights: Sequence[float]
    #: Team id to its active members, as (person id, e-mail).
    members: Mapping[int, Sequence[tuple[int, str]]]


@dataclass(frozen=True)
class DrawnTicket:
    """One ticket's field values, and who created it (for its audit entry)."""

    values: dict[str, Any]
    actor_id: int
    actor_label: str
    source: str
    request_id: str


def team_cum_weights(rng: random.Random, count: int) -> list[float]:
    """Uneven (log-normal) cumulative weights for ``count`` teams."""
    return list(
        itertools.accumulate(rng.lognormvariate(0.0, TEAM_WEIGHT_SIGMA) for _ in range(count))
    )


def _lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return rng.lognormvariate(math.log(median), sigma)


def draw_ticket(
    rng: random.Random,
    population: Population,
    *,
    index: int,
    total: int,
    until: datetime,
    kind: Kind = KINDS["ticket"],
) -> DrawnTicket:
    """The ``index``-th of ``total`` tickets (0-based); see the module doc for proportions.

    Makes the same draws whatever the outcome, so one ticket never shifts the next.
    """
    start = until - SPAN
    opened = start + SPAN * ((index + rng.random()) / total)
    age = until - opened
    requester_id, organisation_id, requester_email = rng.choice(population.requesters)
    team_id: int | None = rng.choices(population.teams, cum_weights=population.team_cum_weights)[0]
    members = population.members.get(team_id, ()) if team_id is not None else ()
    member = rng.choice(members) if members else None
    priority = rng.choices(_PRIORITIES, cum_weights=_PRIORITY_CUM)[0]
    impact, urgency = rng.choice(CELLS_BY_PRIORITY[priority])
    open_draw, state_draw, people_draw, share_draw = (rng.random() for _ in range(4))
    response = timedelta(
        minutes=_lognormal(rng, FIRST_RESPONSE_MEDIAN_MINUTES, FIRST_RESPONSE_SIGMA)
    )
    resolve = timedelta(hours=_lognormal(rng, RESOLVE_MEDIAN_HOURS, RESOLVE_SIGMA))
    title = f"{rng.choice(SUBJECTS)} {rng.choice(PROBLEMS)}"
    description = rng.choice(DESCRIPTIONS)
    resolution_text = rng.choice(RESOLUTIONS)
    logged_by_agent = rng.random() < LOGGED_BY_AGENT_SHARE
    source = rng.choices(_SOURCES, cum_weights=_SOURCE_CUM)[0]
    request_id = f"{rng.getrandbits(128):032x}"

    resolved_at = closed_at = first_response_at = None
    resolution = ""
    assignee: tuple[int, str] | None = member
    if open_draw < open_probability(age.total_seconds() / 86400):
        state = _OPEN_STATES[_index(_OPEN_CUM, state_draw)]
        if state == TicketState.NEW:
            assignee = None
            if share_draw < UNROUTED_NEW_SHARE:
                team_id = None
        elif state == TicketState.ASSIGNED and people_draw >= ASSIGNED_WITH_ASSIGNEE_SHARE:
            assignee = None
        updated = opened
        if state != TicketState.NEW:
            first_response_at = opened + min(response, age / 2)
            updated = first_response_at + (until - first_response_at) * share_draw
    else:
        resolved_at = opened + min(resolve, age * 0.99)
        first_response_at = opened + min(response, (resolved_at - opened) / 2)
        resolution = resolution_text
        if state_draw < CANCELLED_SHARE:
            state = TicketState.CANCELLED
            closed_at = resolved_at  # closed without a resolution step: both at once
            first_response_at = None
            if people_draw >= CANCELLED_WITH_ASSIGNEE_SHARE:
                assignee = None
        elif resolved_at + AUTO_CLOSE_AFTER <= until:
            state = TicketState.CLOSED
            closed_at = resolved_at + AUTO_CLOSE_AFTER
        else:
            state = TicketState.RESOLVED
        updated = closed_at or resolved_at
    if team_id is None:
        assignee = None
    number = index + 1
    values: dict[str, Any] = {
        "kind": kind.label,
        "number": f"{kind.prefix}{number:07d}",
        "title": title,
        "description": description,
        "resolution": resolution,
        "requester_id": requester_id,
        "organisation_id": organisation_id,
        "assignee_id": assignee[0] if assignee else None,
        "team_id": team_id,
        "impact": impact,
        "urgency": urgency,
        "priority": priority,
        "state": str(state),
        "state_category": categories()[state],
        "opened_at": opened,
        "first_response_at": first_response_at,
        "resolved_at": resolved_at,
        "closed_at": closed_at,
        "updated_at": updated,
        "version": VERSIONS[state],
    }
    if logged_by_agent and member is not None and team_id is not None:
        actor_id, actor_label, source = member[0], member[1], "web"
    else:
        actor_id, actor_label = requester_id, requester_email
    return DrawnTicket(values, actor_id, actor_label, source, request_id)


def _index(cumulative: Sequence[float], draw: float) -> int:
    total = cumulative[-1]
    for position, edge in enumerate(cumulative):
        if draw * total < edge:
            return position
    return len(cumulative) - 1


def created_changes(values: Mapping[str, Any]) -> dict[str, list[Any]]:
    """The ``changes`` of the ``ticket.created`` entry, as ``create_ticket`` records them.

    ``audit.diff({}, audit.snapshot(ticket, AUDITED_FIELDS))`` of the ticket as created: in
    state ``new``, not assigned yet; fields without a value are left out.
    """
    at_creation = {
        "configuration_item": None,
        "description": values["description"],
        "impact": values["impact"],
        "number": values["number"],
        "organisation": values["organisation_id"],
        "priority": values["priority"],
        "requester": values["requester_id"],
        "service": None,
        "state": str(TicketState.NEW),
        "team": values["team_id"],
        "title": values["title"],
        "urgency": values["urgency"],
        "assignee": None,
    }
    return {name: [None, value] for name, value in sorted(at_creation.items()) if value is not None}


# --- writing -------------------------------------------------------------------------------


class TicketGenerationError(Exception):
    """The database is not ready (no generated people or teams) or holds tickets already."""


@dataclass
class TicketGenerationResult:
    """What a run created and how long it took."""

    tickets: int = 0
    audit_entries: int = 0
    search_entries: int = 0
    states: Counter[str] = field(default_factory=Counter)
    last_number: str = ""
    seconds: float = 0.0

    @property
    def open(self) -> int:
        return sum(n for state, n in self.states.items() if categories()[state] in _OPEN_CATEGORIES)


_OPEN_CATEGORIES = frozenset({"new", "active", "waiting"})


def load_population(rng: random.Random) -> Population:
    """Active requesters, teams with their weights, and active team members."""
    from steward.accounts.choices import RoleCode
    from steward.accounts.models import Person, Team, TeamMembership

    requesters = list(
        Person.objects.filter(roles__code=RoleCode.REQUESTER, is_active=True)
        .order_by("id")
        .values_list("id", "organisation_id", "email")
    )
    teams = list(Team.objects.filter(is_active=True).order_by("id").values_list("id", flat=True))
    if not requesters or not teams:
        raise TicketGenerationError(
            "No requesters or teams: fill the database with `python -m bench.generate` first."
        )
    members: dict[int, list[tuple[int, str]]] = {}
    rows = (
        TeamMembership.objects.filter(team_id__in=teams, person__is_active=True)
        .order_by("team_id", "person_id")
        .values_list("team_id", "person_id", "person__email")
    )
    for team_id, person_id, email in rows:
        members.setdefault(team_id, []).append((person_id, email))
    return Population(
        requesters=requesters,
        teams=teams,
        team_cum_weights=team_cum_weights(rng, len(teams)),
        members=members,
    )


def _audit_entry(drawn: DrawnTicket, ticket_id: int, kind: Kind = KINDS["ticket"]) -> Any:
    from steward.core.models import AuditEntry

    values = drawn.values
    return AuditEntry(
        created_at=values["opened_at"],
        actor_id=drawn.actor_id,
        actor_label=drawn.actor_label,
        source=drawn.source,
        request_id=drawn.request_id,
        remote_addr="" if drawn.source == "email" else "192.0.2.10",
        action=kind.action,
        object_type=kind.label,
        object_id=str(ticket_id),
        object_repr=values["number"],
        changes=created_changes(values),
    )


def generate_tickets(
    *,
    tickets: int,
    kind: str = "ticket",
    seed: int = 1,
    batch_size: int = DEFAULT_BATCH_SIZE,
    audit: bool = False,
    search: bool = False,
    until: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> TicketGenerationResult:
    """Create ``tickets`` tickets (and their ``ticket.created`` entries with ``audit``, their
    full-text entries with ``search``)."""
    from django.db import transaction

    from steward.core import numbering
    from steward.core.models import AuditEntry
    from steward.tickets.models import Ticket

    chosen = KINDS[kind]
    if not MIN_TICKETS <= tickets <= MAX_TICKETS:
        raise ValueError(f"tickets must be between {MIN_TICKETS} and {MAX_TICKETS}")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    started = time.perf_counter()
    say = progress or (lambda message: None)
    until = until or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    if Ticket.objects.exists():
        raise TicketGenerationError("This database holds tickets already; use a fresh one.")
    rng = random.Random(seed)
    population = load_population(rng)
    result = TicketGenerationResult()
    next_report = max(batch_size, tickets // 10)
    for first in range(0, tickets, batch_size):
        drawn = [
            draw_ticket(rng, population, index=index, total=tickets, until=until, kind=chosen)
            for index in range(first, min(first + batch_size, tickets))
        ]
        rows = [Ticket(**ticket.values) for ticket in drawn]
        with transaction.atomic():
            Ticket.objects.bulk_create(rows, batch_size=batch_size)
            if chosen.label != KIND:
                from bench.generate_incidents import incident_rows, insert_incidents

                insert_incidents(incident_rows(drawn, rows))
            if audit:
                entries = [
                    _audit_entry(d, row.pk, chosen) for d, row in zip(drawn, rows, strict=True)
                ]
                AuditEntry.objects.bulk_create(entries, batch_size=batch_size)
                result.audit_entries += len(entries)
        result.tickets += len(rows)
        result.states.update(ticket.values["state"] for ticket in drawn)
        result.last_number = drawn[-1].values["number"]
        if result.tickets >= next_report or result.tickets == tickets:
            say(f"{result.tickets}/{tickets} tickets ({time.perf_counter() - started:.1f}s)")
            next_report += max(batch_size, tickets // 10)
    with transaction.atomic():
        numbering.restart_after(chosen.sequence, tickets)
    if search:
        from steward.tickets.search import reindex_all

        result.search_entries = reindex_all()
        say(f"{result.search_entries} search entries ({time.perf_counter() - started:.1f}s)")
    result.seconds = time.perf_counter() - started
    return result


def vacuum_analyze() -> None:
    """What autovacuum does soon after a bulk load, for every table (people included):
    planner statistics, and on PostgreSQL the visibility map index-only scans need.
    Outside any transaction."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)" if connection.vendor == "postgresql" else "ANALYZE")


# --- command line --------------------------------------------------------------------------


def _until(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate_tickets",
        description="Fill the configured database (people generated already) with tickets.",
    )
    parser.add_argument("--tickets", type=int, default=100_000, help="how many (default 100000)")
    parser.add_argument(
        "--kind", choices=sorted(KINDS), default="ticket", help="what to generate (default ticket)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument(
        "--audit", action="store_true", help="also one ticket.created audit entry per ticket"
    )
    parser.add_argument(
        "--search", action="store_true", help="also index every ticket for full-text search"
    )
    parser.add_argument(
        "--until", type=_until, help="when the newest ticket opened (ISO 8601; default now)"
    )
    args = parser.parse_args(argv)

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "steward.config.settings")
    django.setup()
    try:
        result = generate_tickets(
            tickets=args.tickets,
            kind=args.kind,
            seed=args.seed,
            batch_size=args.batch_size,
            audit=args.audit,
            search=args.search,
            until=args.until,
            progress=lambda message: print(message, file=sys.stderr),
        )
    except (TicketGenerationError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    vacuum_analyze()
    for state, count in sorted(result.states.items()):
        print(f"{state:12} {count:>10}")
    print(
        f"Generated {result.tickets} tickets ({result.open} open, last {result.last_number}), "
        f"{result.audit_entries} audit entries and {result.search_entries} search entries "
        f"in {result.seconds:.1f}s "
        f"({result.tickets / result.seconds:.0f} tickets/s)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
