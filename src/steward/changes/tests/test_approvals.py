"""Approvals: rules, delegation, refusals that change nothing, decisions moving the change."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from steward.accounts import services as accounts
from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_person
from steward.changes import services
from steward.changes.models import ApprovalRequest, Change, Vote
from steward.changes.services import approvals
from steward.changes.tests.factories import make_assessed, make_board, make_change_manager
from steward.cmdb.choices import ImpactDirection
from steward.cmdb.tests.factories import (
    make_ci,
    make_relationship,
    make_relationship_type,
    make_service,
)
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def cab_member() -> Person:
    return make_person(roles=[RoleCode.CAB_MEMBER])


def in_approval(**overrides: Any) -> Change:
    change = make_assessed(**overrides)
    return services.transition_change(actor=None, change=change, to="approval")


@pytest.mark.parametrize(
    ("rule", "quorum", "approvers", "yes", "no", "expected"),
    [
        ("any", None, 3, 1, 0, "approved"),
        ("any", None, 3, 0, 2, "pending"),
        ("any", None, 3, 0, 3, "rejected"),
        ("all", None, 3, 2, 0, "pending"),
        ("all", None, 3, 3, 0, "approved"),
        ("all", None, 3, 2, 1, "rejected"),
        ("majority", None, 4, 2, 0, "pending"),
        ("majority", None, 4, 3, 0, "approved"),
        ("majority", None, 4, 1, 2, "rejected"),
        ("quorum", 2, 5, 2, 0, "approved"),
        ("quorum", 2, 5, 0, 3, "pending"),
        ("quorum", 2, 5, 0, 4, "rejected"),
        ("quorum", 9, 2, 2, 0, "approved"),
    ],
)
def test_rules_count_votes(
    rule: str, quorum: int | None, approvers: int, yes: int, no: int, expected: str
) -> None:
    assert approvals.outcome_of(rule, quorum, approvers, yes, no) == expected


def test_all_rule_approves_when_everyone_did_and_the_change_is_scheduled() -> None:
    a, b = cab_member(), cab_member()
    make_board(name="CAB", rule="all", members=[a, b])
    change = in_approval()
    request = change.approvals.get()
    approvals.vote(actor=a, request=request, decision="approve", comment="Fine by me")
    assert Change.objects.get(pk=change.pk).state == "approval"
    approvals.vote(actor=b, request=request, decision="approve")
    assert ApprovalRequest.objects.get(pk=request.pk).state == "approved"
    assert Change.objects.get(pk=change.pk).state == "scheduled"
    assert AuditEntry.objects.filter(action="change.voted").count() == 2


def test_a_rejection_per_rule_cancels_the_change() -> None:
    a, b = cab_member(), cab_member()
    make_board(name="CAB", rule="all", members=[a, b])
    change = in_approval()
    approvals.vote(actor=a, request=change.approvals.get(), decision="reject", comment="Too risky")
    change = Change.objects.get(pk=change.pk)
    assert change.state == "cancelled"
    assert change.resolution == "Rejected by CAB."


def test_non_members_double_votes_and_stale_revisions_are_refused_and_change_nothing() -> None:
    a, b = cab_member(), cab_member()
    make_board(name="CAB", rule="all", members=[a, b])
    change = in_approval()
    request = change.approvals.get()
    with pytest.raises(Forbidden):
        approvals.vote(actor=cab_member(), request=request, decision="approve")
    approvals.vote(actor=a, request=request, decision="approve")
    with pytest.raises(RuleViolation) as caught:
        approvals.vote(actor=a, request=request, decision="reject")
    assert "already voted" in str(caught.value)
    with pytest.raises(RuleViolation) as caught:
        approvals.vote(actor=b, request=request, decision="approve", revision=0)
    assert "edited after approval was asked" in str(caught.value)
    services.update_change(actor=None, change=change, test_plan="Check the queue.")
    with pytest.raises(RuleViolation):  # the old request is for revision 1
        approvals.vote(actor=b, request=request, decision="approve")
    assert Vote.objects.count() == 1
    assert Change.objects.get(pk=change.pk).state == "approval"


def test_a_delegate_votes_for_an_away_member_only_while_delegated() -> None:
    away, delegate = cab_member(), cab_member()
    make_board(name="CAB", rule="all", members=[away])
    change = in_approval()
    request = change.approvals.get()
    with pytest.raises(Forbidden):
        approvals.vote(actor=delegate, request=request, decision="approve", on_behalf_of=away)
    approvals.add_delegation(actor=away, person=away, delegate=delegate)  # while away
    with pytest.raises(Forbidden):  # not marked away yet
        approvals.vote(actor=delegate, request=request, decision="approve", on_behalf_of=away)
    accounts.update_person(actor=None, person=away, is_away=True)
    vote = approvals.vote(actor=delegate, request=request, decision="approve", on_behalf_of=away)
    assert vote.person == delegate and vote.on_behalf_of == away
    assert Change.objects.get(pk=change.pk).state == "scheduled"


def test_a_dated_delegation_covers_its_period() -> None:
    person, delegate = cab_member(), cab_member()
    now = timezone.now()
    approvals.add_delegation(
        actor=make_change_manager(),
        person=person,
        delegate=delegate,
        starts_at=now - timedelta(hours=1),
        ends_at=now + timedelta(hours=1),
    )
    assert approvals.delegation_covers(delegate, person)
    assert not approvals.delegation_covers(delegate, person, now + timedelta(hours=2))
    with pytest.raises(Forbidden):
        approvals.add_delegation(actor=delegate, person=person, delegate=cab_member())


def test_service_owners_are_resolved_through_cmdb_impact() -> None:
    owner = make_person(roles=[RoleCode.SERVICE_OWNER])
    service = make_service(owner=owner)
    server = make_ci()
    runs_on = make_relationship_type(impact=ImpactDirection.TO_SOURCE)
    make_relationship(source=service, target=server, type=runs_on)
    make_board(name="Owners", kind="service_owners", members=[], paths=["low"])
    change = in_approval(affected_cis=[server])
    request = change.approvals.get()
    assert list(request.approvers.all()) == [owner]
    approvals.vote(actor=owner, request=request, decision="approve")
    assert Change.objects.get(pk=change.pk).state == "scheduled"


def test_without_a_board_on_the_path_the_change_waits_with_a_reason() -> None:
    change = in_approval()
    assert approvals.approval_refusal(change) == (
        "No board is set up to approve this change; ask an administrator."
    )
    with pytest.raises(RuleViolation):
        services.transition_change(actor=None, change=change, to="scheduled")
