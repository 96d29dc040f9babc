"""Defining calendars, agreements and targets: bad input is refused with a clear message."""

from __future__ import annotations

from datetime import date

import pytest

from steward.accounts.choices import OrganisationKind
from steward.accounts.tests.factories import make_agent, make_organisation, make_team
from steward.cmdb.tests.factories import make_ci, make_service
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry
from steward.sla import services
from steward.sla.models import Agreement, SlaClock, Target
from steward.sla.tests.factories import (
    make_agreement,
    make_calendar,
    make_service_level_manager,
    make_target,
)
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db


def messages(exc: pytest.ExceptionInfo[RuleViolation]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_calendar_without_working_time_is_refused() -> None:
    with pytest.raises(RuleViolation) as exc:
        make_calendar(hours={})
    assert "no working time" in messages(exc)["hours"][0]
    with pytest.raises(RuleViolation) as exc:
        make_calendar(hours={"0": ["9 to 5"]})
    assert "not like 08:00-17:00" in messages(exc)["hours"][0]
    with pytest.raises(RuleViolation) as exc:
        make_calendar(time_zone="Mars/Olympus")
    assert "Unknown time zone" in messages(exc)["time_zone"][0]
    with pytest.raises(RuleViolation) as exc:
        make_calendar(hours={"0": ["08:00-12:00", "11:00-13:00"]})
    assert "Overlapping" in messages(exc)["hours"][0]


def test_overlapping_agreements_are_refused_and_name_the_other() -> None:
    customer = make_organisation()
    service = make_service()
    first = make_agreement(customer=customer, services=[service], valid_from=date(2026, 1, 1))
    with pytest.raises(RuleViolation) as exc:
        make_agreement(customer=customer, valid_from=date(2026, 6, 1))  # every service
    assert first.code in messages(exc)["__all__"][0]
    # a different service, or a period after the first ends, is fine
    make_agreement(customer=customer, services=[make_service()], valid_from=date(2026, 6, 1))
    services.update_agreement(actor=None, agreement=first, valid_until=date(2026, 12, 31))
    make_agreement(customer=customer, services=[service], valid_from=date(2027, 1, 1))


def test_agreement_parties_must_fit_the_kind() -> None:
    calendar = make_calendar()
    with pytest.raises(RuleViolation) as exc:
        services.create_agreement(actor=None, name="OLA", code="ola", kind="ola", calendar=calendar)
    assert "internal team" in messages(exc)["team"][0]
    customer = make_organisation()
    with pytest.raises(RuleViolation) as exc:
        services.create_agreement(
            actor=None,
            name="UC",
            code="uc",
            kind="uc",
            calendar=calendar,
            supplier=customer,
            services=[make_service()],
        )
    assert "not a supplier" in messages(exc)["supplier"][0]
    with pytest.raises(RuleViolation) as exc:
        make_agreement(services=[make_ci()])
    assert "Not services" in messages(exc)["services"][0]
    with pytest.raises(RuleViolation) as exc:
        make_agreement(valid_from=date(2026, 5, 1), valid_until=date(2026, 4, 1))
    assert "ends before it starts" in messages(exc)["valid_until"][0]


def test_ola_and_uc_support_slas() -> None:
    sla = make_agreement()
    supplier = make_organisation(kind=OrganisationKind.SUPPLIER)
    uc = make_agreement(kind="uc", supplier=supplier, supports=[sla])
    ola = make_agreement(kind="ola", team=make_team(), supports=[sla])
    assert set(sla.supported_by.all()) == {uc, ola}
    with pytest.raises(RuleViolation) as exc:
        make_agreement(supports=[sla])
    assert "Only OLAs and underpinning contracts" in messages(exc)["supports"][0]


@pytest.mark.parametrize("duration", [0, -5])
def test_target_of_zero_or_negative_length_is_refused(duration: int) -> None:
    with pytest.raises(RuleViolation) as exc:
        make_target(duration=duration)
    assert "more than zero" in messages(exc)["duration"][0]
    assert not Target.objects.exists()


def test_conditions_naming_unknown_states_are_refused() -> None:
    with pytest.raises(RuleViolation) as exc:
        make_target(pause_states=["awaiting_godot"])
    message = messages(exc)["pause_states"][0]
    assert "awaiting_godot" in message and "on_hold" in message


def test_contradictory_targets_are_refused() -> None:
    agreement = make_agreement()
    make_target(agreement, metric="resolution", duration=2)
    with pytest.raises(RuleViolation) as exc:
        make_target(agreement, metric="first_response", duration=3)
    assert "due after the resolution" in messages(exc)["duration"][0]
    with pytest.raises(RuleViolation) as exc:
        make_target(agreement, metric="resolution", duration=5)
    assert "already has that target" in messages(exc)["__all__"][0]
    with pytest.raises(RuleViolation) as exc:
        make_target(
            agreement,
            metric="custom",
            name="Update",
            pause_states=["on_hold"],
            stop_states=["on_hold"],
        )
    assert "only do one thing" in messages(exc)["stop_states"][0]
    with pytest.raises(RuleViolation) as exc:
        make_target(agreement, metric="custom", name="Nudge", breach_actions=["teleport"])
    assert "teleport" in messages(exc)["breach_actions"][0]


def test_refused_definition_leaves_running_clocks_alone() -> None:
    customer = make_organisation()
    agreement = make_agreement(customer=customer)
    target = make_target(agreement)
    ticket = make_ticket(organisation=customer)
    before = list(SlaClock.objects.filter(ticket=ticket).values())
    with pytest.raises(RuleViolation):
        services.update_target(actor=None, target=target, duration=0)
    target.refresh_from_db()
    assert target.duration == 4
    assert list(SlaClock.objects.filter(ticket=ticket).values()) == before


def test_only_service_level_managers_define_agreements() -> None:
    calendar = make_calendar()
    agent = make_agent()
    with pytest.raises(Forbidden):
        services.create_agreement(
            actor=agent,
            name="SLA",
            code="sla",
            kind="sla",
            customer=make_organisation(),
            calendar=calendar,
        )
    manager = make_service_level_manager()
    made = services.create_agreement(
        actor=manager,
        name="SLA",
        code="sla",
        kind="sla",
        customer=make_organisation(),
        calendar=calendar,
    )
    entry = AuditEntry.objects.get(action="agreement.created", object_id=str(made.pk))
    assert entry.actor_id == manager.pk
    assert Agreement.objects.count() == 1
