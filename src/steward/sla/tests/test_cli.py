"""``steward sla sweep|replay|explain``."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from steward.accounts.tests.factories import make_organisation
from steward.core.models import AuditEntry
from steward.sla.tests.factories import make_agreement, make_target
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("sla", *args, stdout=out)
    return out.getvalue()


def test_sweep_replay_and_explain_from_the_command_line(frozen) -> None:
    customer = make_organisation()
    make_target(
        make_agreement(customer=customer),
        warning_thresholds=[50],
        warning_actions=["raise_priority"],
    )
    ticket = make_ticket(organisation=customer)
    assert "agrees" in run("replay", ticket.number)
    explained = run("explain", ticket.number.lower())
    assert "Resolution" in explained and "Due 2026-11-23T14:00:00+00:00" in explained
    swept = json.loads(run("sweep", "--at", "2026-11-23T12:30:00+00:00", "--json"))
    assert swept["warnings"] == 1
    assert AuditEntry.objects.get(action="slaclock.warning_reached").source == "cli"
    assert "warnings 0" in run("sweep", "--at", "2026-11-23T12:30:00+00:00")
    with pytest.raises(CommandError):
        run("explain", "TSK404")
    with pytest.raises(CommandError):
        run("sweep", "--at", "2026-11-23T12:30")
