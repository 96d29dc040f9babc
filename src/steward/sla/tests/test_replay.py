"""Live clocks equal their replay from the audit history, whatever happens to the ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from steward.accounts.tests.factories import make_agent, make_organisation, make_team
from steward.core.errors import RuleViolation
from steward.sla import services
from steward.sla.models import SlaClock
from steward.sla.tests.factories import make_agreement, make_calendar, make_target
from steward.tickets import services as tickets
from steward.tickets.tests.factories import make_ticket

MOVES = st.lists(
    st.tuples(
        st.sampled_from(["in_progress", "on_hold", "resolved", "urgency", "reply", "cancelled"]),
        st.integers(1, 60 * 30),
    ),
    max_size=6,
)


@pytest.mark.django_db
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(moves=MOVES, from_opening=st.booleans())
def test_live_clocks_equal_their_replay(frozen, moves, from_opening) -> None:
    frozen.set(frozen.now.replace(year=2026, month=11, day=23, hour=10, minute=0))
    customer = make_organisation()
    calendar = make_calendar(
        time_zone="Europe/Berlin",
        hours={str(d): ["08:00-12:00", "13:00-17:00"] for d in range(5)},
        holiday_country="DE",
    )
    policy = "from_opening" if from_opening else "from_now"
    agreement = make_agreement(customer=customer, calendar=calendar, change_policy=policy)
    for priority, hours in ((5, 16), (4, 8), (3, 4), (2, 2)):
        make_target(agreement, priority=priority, duration=hours)
        make_target(agreement, priority=priority, metric="first_response", duration=1)
    agent = make_agent()
    ticket = make_ticket(organisation=customer, team=make_team(members=[agent]), assignee=agent)
    for move, minutes in moves:
        frozen.advance(minutes=minutes)
        ticket.refresh_from_db()
        try:
            if move == "urgency":
                tickets.edit_ticket(actor=agent, ticket=ticket, urgency=max(1, ticket.urgency - 1))
            elif move == "reply":
                tickets.add_comment(actor=agent, ticket=ticket, body="On it.")
            else:
                values = {"resolution": "Done."} if move in ("resolved", "cancelled") else None
                tickets.transition_ticket(actor=agent, ticket=ticket, to=move, values=values)
        except RuleViolation:
            continue  # not allowed from the state it is in
    replayed = services.replay(actor=None, ticket=ticket)
    assert replayed, "the ticket has clocks"
    assert all(r.agrees for r in replayed), [r.differences for r in replayed if not r.agrees]
    live = SlaClock.objects.filter(ticket=ticket)
    assert live.count() == len(replayed)
    for clock in live:
        assert clock.elapsed >= timedelta(0) and clock.paused >= timedelta(0)
