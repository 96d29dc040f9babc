"""Conflict detection: other changes on the same or related CIs (with the path), the
maintenance windows, the blackouts; the policy; overrides; and scheduling refused."""

from __future__ import annotations

from datetime import time

import pytest

from steward.accounts.tests.factories import make_agent
from steward.changes import conflicts
from steward.changes.models import Change
from steward.changes.models_schedule import ConflictAction, ConflictKind, ConflictOverride
from steward.changes.schedule import hooks, services
from steward.changes.tests.factories import make_change, make_change_manager, make_template
from steward.changes.tests.schedule_factories import (
    Shop,
    at,
    blackout,
    close,
    planned,
    weekly_window,
)
from steward.cmdb.tests.factories import make_service
from steward.core.errors import Forbidden, RuleViolation
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def kinds(found: list[conflicts.ScheduleConflict]) -> list[tuple[str, str]]:
    return [(c.kind, c.change_number or c.ci_name) for c in found]


def test_another_change_on_the_same_ci_in_an_overlapping_period_blocks() -> None:
    # given a change on the server from 01:00 to 03:00
    shop = Shop()
    other = planned(shop.server, start=1, end=3)
    mine = make_change(configuration_item=shop.server)
    # when mine is planned 02:00-04:00, and then 03:00-05:00 (touching only)
    found = conflicts.detect(mine, at(2), at(4))
    later = conflicts.detect(mine, at(3), at(5))
    # then the first overlaps on the same CI and blocks (the default policy); the second is clear
    assert kinds(found) == [(ConflictKind.SAME_CI, other.number)]
    assert found[0].blocks and found[0].ci_name == "srv-01"
    assert found[0].path == []
    assert later == []


def test_closed_changes_and_the_change_itself_do_not_conflict() -> None:
    shop = Shop()
    cancelled = planned(shop.server, start=1, end=3)
    close(cancelled)
    mine = planned(shop.server, start=1, end=3)
    assert conflicts.detect(mine, at(1), at(3)) == []


def test_affected_cis_count_as_the_changes_cis() -> None:
    shop = Shop()
    other = planned(start=1, end=3, affected_cis=[shop.app_c, shop.far])
    mine = make_change(affected_cis=[shop.far])
    found = conflicts.detect(mine, at(0), at(2))
    assert kinds(found) == [(ConflictKind.SAME_CI, other.number)]


def test_a_change_on_a_related_ci_within_the_hops_shows_the_path() -> None:
    # given payroll-app -runs on-> srv-01 <-runs on- hr-app, and a change on hr-app
    shop = Shop()
    other = planned(shop.app_c, start=1, end=3)
    mine = make_change(configuration_item=shop.app_a)
    # when mine is checked at 2 hops, and at 1 hop
    found = conflicts.detect(mine, at(2), at(4), hops=2)
    near = conflicts.detect(mine, at(2), at(4), hops=1)
    # then hr-app is reached through the server, with the path shown; one hop is not enough
    assert kinds(found) == [(ConflictKind.RELATED_CI, other.number)]
    conflict = found[0]
    assert conflict.action == ConflictAction.WARN  # the default for related CIs
    assert not conflict.blocks
    assert conflict.path_text() == "payroll-app -runs on-> srv-01 <-runs on- hr-app"
    assert [s.ci_name for s in conflict.path] == ["srv-01", "hr-app"]
    assert near == []


def test_the_policy_hops_and_actions_decide() -> None:
    # given a change three hops away (payroll-app > srv-01 < hr-app < hr-batch)
    shop = Shop()
    other = planned(shop.far, start=1, end=3)
    mine = make_change(configuration_item=shop.app_a)
    assert conflicts.detect(mine, at(1), at(2)) == []
    # when a change manager widens the search and makes related changes block
    services.update_schedule_policy(
        actor=make_change_manager(), hops=3, related_ci=ConflictAction.BLOCK
    )
    found = conflicts.detect(mine, at(1), at(2))
    # then it is found, three hops away, and blocks
    assert kinds(found) == [(ConflictKind.RELATED_CI, other.number)]
    assert found[0].blocks
    assert found[0].path_text().endswith("<-runs on- hr-app <-runs on- hr-batch")


def test_an_agent_cannot_change_the_policy_and_bad_values_are_refused() -> None:
    with pytest.raises(Forbidden):
        services.update_schedule_policy(actor=make_agent(), hops=3)
    with pytest.raises(RuleViolation) as refused:
        services.update_schedule_policy(actor=make_change_manager(), hops=9)
    assert "hops" in refused.value.message_dict
    assert conflicts.current_policy().hops == 2


def test_a_period_outside_the_cis_maintenance_window_is_a_conflict() -> None:
    # given srv-01 may be changed on weekend nights 22:00-04:00 (UTC)
    shop = Shop()
    weekly_window(shop.server)
    mine = make_change(configuration_item=shop.server)
    # when planned Saturday 23:00 - Sunday 03:00, and Sunday 10:00-11:00
    inside = conflicts.detect(mine, at(23), at(27))
    outside = conflicts.detect(mine, at(34), at(35))
    # then only the second is outside, and it says how much and which windows
    assert inside == []
    assert kinds(outside) == [(ConflictKind.OUTSIDE_WINDOW, "srv-01")]
    assert "1 h 00 min" in outside[0].message
    assert "Sat, Sun 22:00-04:00 UTC" in outside[0].message


def test_windows_in_another_time_zone_and_one_off_windows_cover_together() -> None:
    # given a weekly window in New York (UTC-5 in March) and a one-off window after it
    shop = Shop()
    weekly_window(
        shop.server,
        weekdays=[5],
        start_time=time(18),
        end_time=time(20),
        time_zone="America/New_York",
    )
    services.create_maintenance_window(
        actor=None,
        configuration_item=shop.server,
        name="Migration",
        kind="one_off",
        starts_at=at(25),
        ends_at=at(27),
    )
    mine = make_change(configuration_item=shop.server)
    # 18:00-20:00 New York on Saturday is 23:00-01:00 UTC; the one-off runs 01:00-03:00
    assert conflicts.detect(mine, at(23), at(27)) == []
    assert [c.kind for c in conflicts.detect(mine, at(22), at(27))] == ["outside_window"]


def test_a_global_blackout_and_a_reached_services_blackout_conflict() -> None:
    shop = Shop()
    everyone = blackout(policy=ConflictAction.WARN)
    payroll = blackout(name="Payroll run", service=shop.service, starts_at=at(0), ends_at=at(6))
    mine = make_change(configuration_item=shop.server)  # the service is 2 hops from srv-01
    found = conflicts.detect(mine, at(1), at(2))
    by_id = {c.blackout_id: c for c in found}
    assert set(by_id) == {everyone.pk, payroll.pk}
    assert not by_id[everyone.pk].blocks
    assert by_id[payroll.pk].blocks
    assert by_id[payroll.pk].path_text() == "srv-01 <-runs on- payroll-app -provides-> Payroll"
    # a change on an unrelated CI only meets the global freeze
    lone = make_change(configuration_item=Shop().server)
    assert [c.blackout_id for c in conflicts.detect(lone, at(1), at(2))] == [everyone.pk]


def test_a_period_ending_before_it_starts_is_refused() -> None:
    mine = make_change()
    with pytest.raises(RuleViolation):
        conflicts.detect(mine, at(3), at(2))


def test_check_schedule_refuses_blocking_conflicts_until_overridden_with_a_reason() -> None:
    # given a blocking conflict on the same CI
    shop = Shop()
    planned(shop.server, start=1, end=3)
    mine = make_change(configuration_item=shop.server)
    manager = make_change_manager()
    # when scheduling without a reason / then refused, nothing recorded
    with pytest.raises(RuleViolation) as refused:
        conflicts.check_schedule(actor=manager, change=mine, start=at(2), end=at(4))
    assert "blocking conflicts" in str(refused.value)
    assert not ConflictOverride.objects.exists()
    # an agent may not override
    with pytest.raises(Forbidden):
        conflicts.check_schedule(
            actor=make_agent(), change=mine, start=at(2), end=at(4), override_reason="urgent"
        )
    # a change manager overrides with a reason: recorded and audited
    found = conflicts.check_schedule(
        actor=manager, change=mine, start=at(2), end=at(4), override_reason="Vendor slot"
    )
    assert [c.overridden for c in found] == [True]
    override = ConflictOverride.objects.get()
    assert (override.reason, override.overridden_by_id) == ("Vendor slot", manager.pk)
    entry = AuditEntry.objects.filter(action="change.conflicts_overridden").get()
    assert entry.object_id == str(mine.pk) and entry.changes["reason"] == "Vendor slot"
    # and the override holds for that period only
    assert all(not c.blocks for c in conflicts.evaluate(mine, at(2), at(4)))
    assert any(c.blocks for c in conflicts.evaluate(mine, at(2), at(5)))


def test_scheduling_a_standard_change_with_a_blocking_conflict_is_refused() -> None:
    from steward.changes import services as changes

    # given a change on srv-01 and an approved standard-change template
    shop = Shop()
    planned(shop.server, start=1, end=3)
    template = make_template()
    manager = make_change_manager()
    count = Change.objects.count()
    # when a standard change (raised straight into *scheduled*) is planned into the busy period
    with pytest.raises(RuleViolation) as refused:
        changes.open_standard_change(
            actor=None,
            template=template,
            planned_start=at(2),
            planned_end=at(4),
            configuration_item=shop.server,
            requester=manager,
        )
    # then it is refused, and nothing was raised
    assert "blocking conflicts" in str(refused.value)
    assert Change.objects.count() == count
    # at a free time it is scheduled
    done = changes.open_standard_change(
        actor=None,
        template=template,
        planned_start=at(3),
        planned_end=at(5),
        configuration_item=shop.server,
        requester=manager,
    )
    assert done.state == "scheduled"


def test_the_guard_lets_an_overridden_period_through() -> None:
    # given a change whose period has a blocking conflict
    shop = Shop()
    planned(shop.server, start=1, end=3)
    mine = planned(shop.server, start=2, end=4)
    assert "blocking conflicts" in (hooks.schedule_clear(mine, None) or "")
    # once overridden for exactly that period, the guard allows it
    conflicts.check_schedule(
        actor=None, change=mine, start=at(2), end=at(4), override_reason="Approved by CAB chair"
    )
    assert hooks.schedule_clear(mine, None) is None


def test_moving_a_scheduled_change_into_a_conflict_is_rolled_back() -> None:
    from steward.changes import services as changes

    # given a scheduled standard change clear of conflicts, and another change later
    shop = Shop()
    planned(shop.server, start=10, end=12)
    manager = make_change_manager()
    mine = changes.open_standard_change(
        actor=None,
        template=make_template(),
        planned_start=at(1),
        planned_end=at(2),
        configuration_item=shop.server,
        requester=manager,
    )
    # when its period is moved into the other change's (the change app's own edit service)
    with pytest.raises(RuleViolation) as refused:
        changes.update_change(actor=None, change=mine, planned_start=at(11), planned_end=at(13))
    # then the edit is refused and rolled back
    assert "blocking conflicts" in str(refused.value)
    mine.refresh_from_db()
    assert (mine.planned_start, mine.planned_end) == (at(1), at(2))
    # a free period is fine
    moved = changes.update_change(actor=None, change=mine, planned_start=at(5), planned_end=at(6))
    assert moved.planned_start == at(5)


def test_a_change_without_cis_meets_only_the_global_and_its_services_freezes() -> None:
    service = make_service(name="Mail")
    everyone = blackout(name="Everyone")
    mail = blackout(name="Mail freeze", service=service)
    blackout(name="Elsewhere", service=make_service())
    mine = make_change(service=service)
    found = conflicts.detect(mine, at(1), at(2))
    assert {c.blackout_id for c in found} == {everyone.pk, mail.pk}
    assert len(found) == 2
    assert conflicts.detect(make_change(), at(100), at(101)) == []
