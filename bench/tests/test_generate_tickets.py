"""The ticket generator: proportions and consistency of the draws, then a tiny real run."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from django.db import transaction

from bench.generate import generate
from bench.generate_tickets import (
    CELLS_BY_PRIORITY,
    SPAN,
    DrawnTicket,
    Population,
    TicketGenerationError,
    categories,
    created_changes,
    draw_ticket,
    expected_open_share,
    generate_tickets,
    open_probability,
    team_cum_weights,
)
from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.core import audit, numbering
from steward.core.models import AuditEntry
from steward.core.workflow import Category
from steward.tickets import search
from steward.tickets.choices import DEFAULT_MATRIX, TicketState
from steward.tickets.models import Ticket
from steward.tickets.services import AUDITED_FIELDS

UNTIL = datetime(2026, 11, 1, tzinfo=UTC)
DRAWS = 20_000


def _population(teams: int = 12) -> Population:
    rng = random.Random(5)
    return Population(
        requesters=[(1000 + n, 10 + n % 7, f"r{n}@example.org") for n in range(300)],
        teams=list(range(1, teams + 1)),
        team_cum_weights=team_cum_weights(rng, teams),
        members={
            t: [(t * 100 + m, f"a{t}.{m}@example.org") for m in range(4)]
            for t in range(1, teams + 1)
        },
    )


@pytest.fixture(scope="module")
def drawn() -> list[DrawnTicket]:
    rng, population = random.Random(1), _population()
    return [draw_ticket(rng, population, index=n, total=DRAWS, until=UNTIL) for n in range(DRAWS)]


def test_the_open_share_is_about_fifteen_percent(drawn: list[DrawnTicket]) -> None:
    # given the formula's average over two years
    assert expected_open_share() == pytest.approx(0.15, abs=0.002)
    assert open_probability(0) == pytest.approx(0.71)
    assert open_probability(730) == pytest.approx(0.10, abs=0.001)

    # when counting the drawn tickets' categories
    open_count = sum(d.values["state_category"] in Category.OPEN for d in drawn)

    # then
    assert open_count / DRAWS == pytest.approx(0.15, abs=0.01)


def test_every_open_state_and_most_priorities_are_low(drawn: list[DrawnTicket]) -> None:
    states = Counter(d.values["state"] for d in drawn)
    priorities = Counter(d.values["priority"] for d in drawn)

    assert set(states) == set(TicketState.values)
    assert 0.8 < sum(states[s] for s in ("closed", "resolved", "cancelled")) / DRAWS < 0.9
    assert sum(priorities[p] for p in (3, 4, 5)) / DRAWS == pytest.approx(0.90, abs=0.01)
    assert priorities[1] < priorities[2] < priorities[3]


def test_each_ticket_is_consistent_with_the_workflow(drawn: list[DrawnTicket]) -> None:
    for d in drawn:
        v = d.values
        # the category is the full workflow's, and the matrix gives the priority
        assert v["state_category"] == categories()[v["state"]]
        assert DEFAULT_MATRIX[(v["impact"], v["urgency"])] == v["priority"]
        assert (v["impact"], v["urgency"]) in CELLS_BY_PRIORITY[v["priority"]]
        # who: nobody works a new ticket; started work has a team and an assignee
        if v["state"] == TicketState.NEW:
            assert v["assignee_id"] is None
        if v["state"] in {"in_progress", "on_hold", "resolved", "closed"}:
            assert v["team_id"] is not None and v["assignee_id"] is not None
        if v["assignee_id"] is not None:
            assert v["assignee_id"] // 100 == v["team_id"]  # a member of that very team
        # when: stamps in order, none after the end, stamped as core.workflow stamps
        assert UNTIL - SPAN <= v["opened_at"] <= v["updated_at"] <= UNTIL
        if v["first_response_at"] is not None:
            assert v["opened_at"] <= v["first_response_at"] <= v["updated_at"]
        finished = v["state_category"] in {Category.RESOLVED, Category.CLOSED}
        assert (v["resolved_at"] is not None) == finished
        assert (v["closed_at"] is not None) == (v["state_category"] == Category.CLOSED)
        if v["closed_at"] is not None:
            assert v["resolved_at"] <= v["closed_at"] <= UNTIL


def test_numbers_and_opening_times_follow_the_ids(drawn: list[DrawnTicket]) -> None:
    assert [d.values["number"] for d in drawn[:2]] == ["TSK0000001", "TSK0000002"]
    assert drawn[-1].values["number"] == f"TSK{DRAWS:07d}"
    opened = [d.values["opened_at"] for d in drawn]
    assert opened == sorted(opened)
    assert opened[-1] - opened[0] > SPAN - timedelta(days=1)


def test_busy_and_quiet_teams(drawn: list[DrawnTicket]) -> None:
    per_team = Counter(d.values["team_id"] for d in drawn if d.values["team_id"] is not None)

    assert len(per_team) == 12
    assert max(per_team.values()) > 2 * min(per_team.values())


def test_the_created_entry_is_what_create_ticket_records(drawn: list[DrawnTicket]) -> None:
    # given a drawn ticket with a team, as it was when created: new, nobody assigned
    values = next(d.values for d in drawn if d.values["team_id"] and d.values["assignee_id"])
    at_creation = Ticket(**{**values, "state": "new", "assignee_id": None})

    # then the generated changes are the service's diff of a fresh snapshot
    expected = audit.diff({}, audit.snapshot(at_creation, AUDITED_FIELDS))
    assert created_changes(values) == expected


def test_the_same_seed_draws_the_same_tickets() -> None:
    def three(seed: int) -> list[dict[str, object]]:
        rng, population = random.Random(seed), _population()
        return [
            draw_ticket(rng, population, index=n, total=100, until=UNTIL).values for n in range(3)
        ]

    assert three(9) == three(9)
    assert three(9) != three(10)


# --- against the test database ---------------------------------------------------------------


@pytest.mark.django_db
def test_generates_numbered_audited_tickets_and_the_sequence_carries_on() -> None:
    # given generated people
    generate(people=400, seed=3)

    # when 300 tickets are generated with their audit and search entries, in batches of 128
    result = generate_tickets(
        tickets=300, seed=3, batch_size=128, audit=True, search=True, until=UNTIL
    )

    # then
    assert (result.tickets, result.audit_entries, result.last_number) == (300, 300, "TSK0000300")
    assert result.search_entries == 300
    title = Ticket.objects.order_by("id").values_list("title", flat=True).first()
    assert title is not None
    agent = Person.objects.filter(roles__code=RoleCode.AGENT).first()
    assert search.search_tickets(agent, title.split()[0]).exists()
    assert Ticket.objects.count() == 300
    assert result.open == Ticket.objects.filter(state_category__in=Category.OPEN).count()
    assert set(Ticket.objects.values_list("kind", flat=True)) == {"tickets.ticket"}
    created = AuditEntry.objects.filter(action="ticket.created", object_type="tickets.ticket")
    assert sorted(map(int, created.values_list("object_id", flat=True))) == sorted(
        Ticket.objects.values_list("id", flat=True)
    )
    # the next ticket the service numbers follows the generated ones
    assert numbering.next_number("task", "TSK") == "TSK0000301"


def _tickets_generated(*, batch_size: int, audit_entries: bool) -> list[tuple[str, str, int]]:
    """Generate in a savepoint, read the tickets back and roll the savepoint back."""

    class Undo(Exception):
        pass

    tickets: list[tuple[str, str, int]] = []
    try:
        with transaction.atomic():
            generate_tickets(
                tickets=120, seed=4, batch_size=batch_size, audit=audit_entries, until=UNTIL
            )
            tickets = list(
                Ticket.objects.order_by("number").values_list("number", "state", "requester_id")
            )
            raise Undo
    except Undo:
        pass
    return tickets


@pytest.mark.django_db
def test_neither_batch_size_nor_audit_changes_the_tickets() -> None:
    generate(people=200, seed=4)

    small = _tickets_generated(batch_size=7, audit_entries=False)
    large = _tickets_generated(batch_size=500, audit_entries=True)

    assert len(small) == 120
    assert small == large


@pytest.mark.django_db
def test_refuses_a_database_without_people_or_with_tickets() -> None:
    with pytest.raises(TicketGenerationError):
        generate_tickets(tickets=10, until=UNTIL)
    generate(people=200, seed=5)
    generate_tickets(tickets=10, until=UNTIL)

    with pytest.raises(TicketGenerationError):
        generate_tickets(tickets=10, until=UNTIL)
    assert Ticket.objects.count() == 10


@pytest.mark.django_db
def test_generates_incidents_that_the_services_can_work_on() -> None:
    from steward.incidents import services as incidents
    from steward.incidents.choices import IncidentState
    from steward.incidents.models import Incident

    generate(people=300, seed=6)

    result = generate_tickets(tickets=200, kind="incident", seed=6, audit=True, until=UNTIL)

    assert (result.tickets, result.last_number) == (200, "INC0000200")
    assert Incident.objects.count() == Ticket.objects.count() == 200
    assert set(Ticket.objects.values_list("kind", flat=True)) == {"incidents.incident"}
    assert (
        AuditEntry.objects.filter(
            action="incident.created", object_type="incidents.incident"
        ).count()
        == 200
    )
    finished = Incident.objects.filter(state__in=[IncidentState.RESOLVED, IncidentState.CLOSED])
    assert finished.exists() and not finished.filter(resolution_code="").exists()
    assert not Incident.objects.filter(state=IncidentState.ON_HOLD, hold_reason="").exists()
    # a generated incident is an ordinary one: the next is numbered after it and it can move on
    assert numbering.next_number("incident", "INC") == "INC0000201"
    open_one = Incident.objects.filter(state=IncidentState.IN_PROGRESS).first()
    assert open_one is not None
    resolved = incidents.resolve_incident(
        actor=None,
        incident=open_one,
        resolution_code="solved_workaround",
        resolution="Restarted it.",
    )
    assert resolved.state == IncidentState.RESOLVED
