"""Values read once per transaction (``core.txcache``) and the checks a save still makes
without asking the database again (``core.models.clean_changed``)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from steward.accounts.tests.factories import make_admin, make_person
from steward.core import profiles, txcache, workflow
from steward.tickets.models import Ticket
from steward.tickets.tests.factories import make_ticket


@pytest.mark.django_db(transaction=True)  # the test itself runs outside a transaction
def test_a_value_is_computed_once_per_transaction_and_again_in_the_next() -> None:
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    with transaction.atomic():
        assert txcache.memo("k", compute) == 1
        with transaction.atomic():  # a savepoint belongs to the same transaction
            assert txcache.memo("k", compute) == 1
        txcache.forget("k")
        assert txcache.memo("k", compute) == 2
    with transaction.atomic():
        assert txcache.memo("k", compute) == 3
    assert txcache.memo("k", compute) == 4  # outside a transaction nothing is kept
    assert txcache.memo("k", compute) == 5


@pytest.mark.django_db
def test_the_profile_is_read_once_per_transaction_and_a_switch_is_seen_at_once(
    django_assert_num_queries: Any,
) -> None:
    admin = make_admin()
    with transaction.atomic():
        with django_assert_num_queries(1):
            assert workflow.active_profile() == "full"
            assert workflow.active_profile() == "full"
            assert workflow.is_enabled(Ticket)
        profiles.set_profile(actor=admin, profile="lite")
        assert workflow.active_profile() == "lite"
    assert workflow.active_profile() == "lite"


@pytest.mark.django_db
def test_clean_changed_skips_only_the_look_ups_already_answered(
    django_assert_num_queries: Any,
) -> None:
    from steward.core.models import clean_changed

    ticket = make_ticket()
    ticket = Ticket.objects.get(pk=ticket.pk)
    # unchanged relations and the unchanged unique number: no look-up at all
    with django_assert_num_queries(0):
        clean_changed(ticket, changed=["title"])
    # a relation set to a loaded person: trusted; the same person by id: looked up
    ticket.requester = make_person()
    with django_assert_num_queries(0):
        clean_changed(ticket, changed=["requester"])
    ticket.requester_id = 10**9
    with pytest.raises(ValidationError) as refused:
        clean_changed(ticket, changed=["requester"])
    assert "requester" in refused.value.message_dict
    # every other check still runs: a title too long is refused
    ticket = Ticket.objects.get(pk=ticket.pk)
    ticket.title = "x" * 1000
    with pytest.raises(ValidationError) as too_long:
        clean_changed(ticket, changed=["title"])
    assert "title" in too_long.value.message_dict
    # and a number changed to one taken is refused
    other = make_ticket()
    ticket.title = "fine"
    ticket.number = other.number
    with pytest.raises(ValidationError) as taken:
        clean_changed(ticket, changed=["number"])
    assert "number" in taken.value.message_dict
