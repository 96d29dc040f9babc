"""The KPI report: figures from records and the audit log, on native and imported history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.cmdb.tests.factories import make_ci, make_service
from steward.core.errors import Forbidden, RuleViolation
from steward.governance.services import kpis
from steward.governance.tests.factories import make_history, make_kpi_reader
from steward.incidents import services as incidents
from steward.incidents.tests.factories import make_category, make_incident

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 9, tzinfo=UTC)  # a Monday


def _report(**kwargs: object) -> kpis.KpiReport:
    since, until = kpis.day_range(DAY.date(), (DAY + timedelta(days=6)).date())
    return kpis.kpi_report(actor=None, since=since, until=until, **kwargs)  # type: ignore[arg-type]


def test_counts_durations_and_backlog_come_from_imported_history() -> None:
    # Given three incidents over a week: one resolved after 2h, one after 4h and reopened
    # and resolved again after 10h, one still open; and one opened the week before
    h = timedelta(hours=1)
    make_history(opened=DAY, moves=[(DAY + h, "in_progress"), (DAY + 2 * h, "resolved")])
    make_history(
        opened=DAY + 24 * h,
        moves=[
            (DAY + 25 * h, "in_progress"),
            (DAY + 28 * h, "resolved"),
            (DAY + 30 * h, "in_progress"),
            (DAY + 34 * h, "resolved"),
            (DAY + 50 * h, "closed"),
        ],
    )
    make_history(opened=DAY + 48 * h)
    make_history(opened=DAY - 72 * h, moves=[(DAY + 72 * h, "cancelled")])
    # (closed before the week: neither counted nor in the backlog)
    make_history(
        opened=DAY - 96 * h, moves=[(DAY - 90 * h, "assigned"), (DAY - 80 * h, "cancelled")]
    )

    # When the week is reported
    report = _report()

    # Then the counts, the durations and the rates are those of the history
    total = report.total
    assert (total.opened, total.resolved, total.closed) == (3, 3, 2)
    assert total.reopened == 1
    assert total.reopen_rate == pytest.approx(1 / 3)
    # resolved: 2h, 10h (opened +24h, resolved +34h), cancelled at 6 days (closes unresolved)
    assert total.median_resolve_seconds == 10 * 3600
    assert total.mean_resolve_seconds == pytest.approx((2 + 10 + 144) * 3600 / 3)
    # and the backlog replays the states day by day: 1 open before the week
    assert report.interval == "day"
    assert [p.total for p in report.backlog] == [1, 1, 2, 1, 1, 1, 1]
    # and grouped reports add up to the same totals, whatever the grouping
    for group in kpis.GROUPS:
        grouped = _report(group_by=group)
        assert grouped.total.as_dict() == total.as_dict(), group
        assert [p.total for p in grouped.backlog] == [p.total for p in report.backlog]


def test_grouped_by_team_and_month() -> None:
    red, blue = make_team(name="Red"), make_team(name="Blue")
    h = timedelta(hours=1)
    make_history(
        opened=DAY,
        team=blue,
        moves=[(DAY + 3 * h, "in_progress"), (DAY + 5 * h, "resolved")],
        hand_offs=[(DAY + 2 * h, red, blue)],
    )
    make_history(opened=DAY, team=red, moves=[(DAY + 1 * h, "resolved")])
    make_history(opened=DAY, team=red, moves=[(DAY + 3 * h, "resolved")])

    report = _report(group_by="team")

    rows = {row.label: row for row in report.rows}
    assert set(rows) == {"Red", "Blue"}
    assert rows["Blue"].resolved == 1
    assert rows["Blue"].reassignment_rate == 1.0
    assert rows["Blue"].hand_offs == {"0": 0, "1": 1, "2": 0, "3+": 0}
    assert rows["Red"].median_resolve_seconds == 2 * 3600
    assert rows["Red"].reassignment_rate == 0.0
    assert report.total.reassigned == 1
    assert report.backlog[0].by_group == {blue.pk: 0, red.pk: 0} or report.backlog[0].total == 0

    months = _report(group_by="month")
    assert [row.label for row in months.rows] == ["2026-03"]
    assert months.rows[0].opened == 3


def test_native_incidents_count_reassignments_first_team_and_top_lists() -> None:
    # Given incidents worked through the services today
    agent = make_agent()
    first, second = make_team(members=[agent]), make_team()
    service, ci = make_service(name="Mail"), make_ci(name="mx1")
    stay = make_incident(team=first, service=service, configuration_item=ci)
    moved = make_incident(team=first, service=service)
    make_incident(category=make_category(name="Network"))
    moved = incidents.reassign(actor=None, incident=moved, team=second)
    for incident in (stay, moved):
        incident = incidents.transition_incident(actor=None, incident=incident, to="assigned")
        incidents.resolve_incident(
            actor=None, incident=incident, resolution_code="user_error", resolution="Done."
        )
    today = datetime.now(UTC).date()
    since, until = kpis.day_range(today, today)

    report = kpis.kpi_report(actor=None, since=since, until=until, group_by="service")

    assert report.total.opened == 3
    assert report.total.resolved == 2
    assert report.total.reassigned == 1
    assert report.total.resolved_by_first_team == 1
    assert report.total.first_contact_rate == 0.5
    assert [(t.label, t.count) for t in report.per_service] == [("Mail", 2)]
    assert [(t.label, t.count) for t in report.per_ci] == [("mx1", 1)]
    assert {row.label for row in report.rows} == {"Mail", kpis.NONE_LABEL}
    assert report.backlog[-1].total == 1

    by_category = kpis.kpi_report(actor=None, since=since, until=until, group_by="category")
    assert {row.label: row.opened for row in by_category.rows} == {
        "Network": 1,
        kpis.NONE_LABEL: 2,
    }


def test_only_holders_of_the_right_see_kpis() -> None:
    since, until = kpis.day_range(DAY.date(), DAY.date())
    for person in (make_agent(), make_person()):
        with pytest.raises(Forbidden):
            kpis.kpi_report(actor=person, since=since, until=until)
    assert kpis.kpi_report(actor=make_kpi_reader(), since=since, until=until).total.opened == 0


def test_bad_input_is_refused() -> None:
    since, until = kpis.day_range(DAY.date(), DAY.date())
    with pytest.raises(RuleViolation):
        kpis.kpi_report(actor=None, since=since, until=until, group_by="colour")
    with pytest.raises(RuleViolation):
        kpis.kpi_report(actor=None, since=since, until=until, kind="nothing")
    with pytest.raises(RuleViolation):
        kpis.day_range(DAY.date(), (DAY - timedelta(days=1)).date())


def test_change_success_rate_counts_closed_changes_with_an_outcome() -> None:
    from steward.changes.models import Change
    from steward.changes.tests.factories import make_change

    team = make_team(name="Ops")
    outcomes = ["successful", "successful_with_issues", "failed", "backed_out", ""]
    for outcome in outcomes:
        change = make_change(team=team)
        Change.objects.filter(pk=change.pk).update(
            outcome=outcome, closed_at=DAY, state="closed", state_category="closed"
        )

    report = _report(group_by="team")

    assert report.total.changes_with_outcome == 4
    assert report.total.change_success_rate == 0.5
    assert {row.label: row.change_success_rate for row in report.rows} == {"Ops": 0.5}


def test_sla_attainment_comes_from_the_compliance_report() -> None:
    from steward.sla.models import SlaClock
    from steward.sla.tests.factories import make_target

    red, blue = make_team(name="Red"), make_team(name="Blue")
    target = make_target(ticket_kind="incidents.incident")
    clocks = [(red, "met"), (red, "met"), (red, "breached"), (blue, "breached")]
    for team, state in clocks:
        incident = make_history(
            opened=DAY, team=team, moves=[(DAY + timedelta(hours=1), "resolved")]
        )
        SlaClock.objects.create(
            ticket=incident,
            target=target,
            agreement=target.agreement,
            state=state,
            origin=DAY,
            attached_at=DAY,
            started_at=DAY,
            stopped_at=DAY + timedelta(hours=1),
            measured_at=DAY + timedelta(hours=1),
        )

    report = _report(group_by="team")

    assert (report.total.sla_met, report.total.sla_breached) == (2, 2)
    assert report.total.sla_attainment == 0.5
    assert {row.label: row.sla_attainment for row in report.rows} == {"Red": 2 / 3, "Blue": 0.0}
