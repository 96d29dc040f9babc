"""The schedule pages: windows and blackouts, the policy, the "check schedule" fragment and
override on a change, the calendar (month, week, filters, htmx) and the iCalendar feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from django.test import Client
from django.urls import reverse

from steward.accounts.tests.factories import make_agent, make_person
from steward.changes.choices import ChangeType
from steward.changes.models_schedule import BlackoutWindow, ConflictOverride, MaintenanceWindow
from steward.changes.schedule import services
from steward.changes.tests.factories import make_change, make_change_manager
from steward.changes.tests.schedule_factories import (
    Shop,
    at,
    blackout,
    planned,
    weekly_window,
)
from steward.cmdb.tests.factories import make_ci, make_service
from steward.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_requesters_have_no_schedule_pages() -> None:
    client = signed_in(make_person())
    for name in ("calendar", "window_list", "blackout_list", "policy", "feed_settings"):
        # (the portal middleware turns requesters away from staff pages before the view)
        assert client.get(reverse(f"change_schedule:{name}")).status_code in (403, 404), name


def test_a_change_manager_adds_a_weekly_window_and_sees_refusals_on_the_form() -> None:
    ci = make_ci(name="db-01")
    client = signed_in(make_change_manager())
    url = reverse("change_schedule:window_create")
    refused = client.post(
        url,
        {
            "name": "Nights",
            "configuration_item": ci.pk,
            "kind": "recurring",
            "time_zone": "UTC",
            "start_time": "22:00",
            "end_time": "04:00",
        },
    )
    assert refused.status_code == 200
    assert "Choose at least one day." in refused.content.decode()
    assert not MaintenanceWindow.objects.exists()
    done = client.post(
        url,
        {
            "name": "Nights",
            "configuration_item": ci.pk,
            "kind": "recurring",
            "time_zone": "UTC",
            "weekdays": ["5", "6"],
            "start_time": "22:00",
            "end_time": "04:00",
        },
    )
    assert done.status_code == 302
    window = MaintenanceWindow.objects.get()
    assert window.describe() == "Sat, Sun 22:00-04:00 UTC"
    listed = client.get(reverse("change_schedule:window_list")).content.decode()
    assert "db-01" in listed and "Sat, Sun 22:00-04:00 UTC" in listed
    assert AuditEntry.objects.filter(action="maintenancewindow.created").count() == 1


def test_agents_see_windows_but_may_not_add_or_edit_them() -> None:
    window = weekly_window(make_ci())
    client = signed_in(make_agent())
    assert client.get(reverse("change_schedule:window_list")).status_code == 200
    assert client.get(reverse("change_schedule:window_create")).status_code == 403
    assert client.get(reverse("change_schedule:window_edit", args=[window.pk])).status_code in (
        403,
        404,
    )
    gone = client.post(reverse("change_schedule:window_delete", args=[window.pk]))
    assert gone.status_code in (403, 404)
    assert MaintenanceWindow.objects.filter(pk=window.pk).exists()


def test_an_overlapping_blackout_is_refused_on_the_form() -> None:
    service = make_service(name="Mail")
    blackout(name="Migration freeze", service=service)
    client = signed_in(make_change_manager())
    response = client.post(
        reverse("change_schedule:blackout_create"),
        {
            "name": "Another",
            "service": service.pk,
            "policy": "block",
            "starts_at": "2031-03-01T10:00",
            "ends_at": "2031-03-01T12:00",
        },
    )
    assert response.status_code == 200
    assert "Overlaps the blackout “Migration freeze”" in response.content.decode()
    assert BlackoutWindow.objects.count() == 1


def test_the_policy_page_saves_for_change_managers_only() -> None:
    manager = signed_in(make_change_manager())
    done = manager.post(
        reverse("change_schedule:policy"),
        {"same_ci": "block", "related_ci": "block", "outside_window": "warn", "hops": "3"},
    )
    assert done.status_code == 302
    agent = signed_in(make_agent())
    assert agent.get(reverse("change_schedule:policy")).status_code == 200
    refused = agent.post(
        reverse("change_schedule:policy"),
        {"same_ci": "warn", "related_ci": "warn", "outside_window": "warn", "hops": "1"},
    )
    assert refused.status_code == 403
    from steward.changes.conflicts import current_policy

    assert (current_policy().hops, current_policy().same_ci) == (3, "block")


def test_check_schedule_fragment_shows_conflicts_with_paths_and_overrides() -> None:
    # given my change on payroll-app and a change on srv-01 over the same hours
    shop = Shop()
    blocker = planned(shop.server, start=0, end=10)
    related = planned(shop.app_c, start=0, end=10)
    mine = planned(shop.app_a, start=2, end=4, affected_cis=[shop.server])
    manager = signed_in(make_change_manager())
    url = reverse("change_schedule:change_conflicts", args=[mine.number])
    # the change page offers the check
    page = manager.get(reverse("tickets:ticket_detail", args=[mine.number])).content.decode()
    assert 'data-testid="check-schedule"' in page and url in page
    # when checked (htmx fragment)
    fragment = manager.get(url, HTTP_HX_REQUEST="true").content.decode()
    # then both conflicts show, the related one with its path, and the override form
    assert blocker.number in fragment and related.number in fragment
    assert "srv-01 &lt;-runs on- hr-app" in fragment
    assert 'data-testid="override-form"' in fragment
    # an override without a reason is refused, with a reason it is recorded
    empty = manager.post(
        url, {"planned_start": "2031-03-01T02:00", "planned_end": "2031-03-01T04:00", "reason": ""}
    )
    assert empty.status_code == 200 and not ConflictOverride.objects.exists()
    done = manager.post(
        url,
        {
            "planned_start": "2031-03-01T02:00",
            "planned_end": "2031-03-01T04:00",
            "reason": "Agreed with owners",
        },
    )
    assert done.status_code == 200
    assert "Overridden" in done.content.decode()
    assert ConflictOverride.objects.get().reason == "Agreed with owners"
    # agents see the conflicts but not the override
    agent_view = signed_in(make_agent()).get(url).content.decode()
    assert blocker.number in agent_view and 'data-testid="override-form"' not in agent_view
    assert signed_in(make_person()).get(url).status_code in (403, 404)


def test_month_and_week_views_show_changes_windows_and_blackouts(
    django_assert_max_num_queries: Any,
) -> None:
    shop = Shop()
    other_service = make_service(name="Mail")
    mine = planned(shop.app_a, start=2, end=4, service=shop.service)
    theirs = planned(start=2, end=4, service=other_service, change_type=ChangeType.EMERGENCY)
    freeze = blackout(name="Quarter close", starts_at=at(5), ends_at=at(7))
    weekly_window(shop.service)
    client = signed_in(make_agent())
    url = reverse("change_schedule:calendar")
    month = client.get(url, {"date": "2031-03-01"}).content.decode()
    assert "March 2031" in month
    assert mine.number in month and theirs.number in month and freeze.name in month
    assert "Maintenance: Payroll" in month
    # filters: by service (its windows and global freezes stay), by type
    only_payroll = client.get(url, {"date": "2031-03-01", "service": str(shop.service.pk)})
    text = only_payroll.content.decode()
    assert mine.number in text and theirs.number not in text and freeze.name in text
    emergencies = client.get(url, {"date": "2031-03-01", "change_type": "emergency"})
    assert theirs.number in emergencies.content.decode()
    assert mine.number not in emergencies.content.decode()
    # week view, as an htmx fragment
    week = client.get(url, {"date": "2031-03-01", "mode": "week"}, HTTP_HX_REQUEST="true")
    body = week.content.decode()
    assert body.lstrip().startswith("<section") and "Week 9, 2031" in body
    assert mine.number in body
    # the month's query count does not grow with the changes on it
    for hour in range(10):
        planned(start=hour, end=hour + 1)
    with django_assert_max_num_queries(12):
        assert client.get(url, {"date": "2031-03-01"}).status_code == 200


def test_calendar_is_permission_filtered() -> None:
    from steward.accounts import services as accounts
    from steward.accounts.tests.factories import make_organisation

    mine, theirs = make_organisation(), make_organisation()
    agent = make_agent()
    accounts.update_person(actor=None, person=agent, serves_organisations=[mine])
    hidden = planned(start=2, end=4)
    from steward.changes.models import Change

    Change.objects.filter(pk=hidden.pk).update(organisation=theirs)
    month = signed_in(agent).get(reverse("change_schedule:calendar"), {"date": "2031-03-01"})
    assert hidden.number not in month.content.decode()


def test_the_ical_feed_signs_in_by_its_token_and_follows_rfc_5545() -> None:
    agent = make_agent()
    shop = Shop()
    soon = datetime.now(tz=UTC).replace(microsecond=0) + timedelta(days=3)
    change = make_change(
        configuration_item=shop.server, planned_start=soon, planned_end=soon + timedelta(hours=2)
    )
    blackout(name="Freeze", starts_at=soon, ends_at=soon + timedelta(days=1))
    weekly_window(shop.server, time_zone="Europe/Berlin")
    token = services.feed_token(agent)
    url = reverse("change_schedule:calendar_feed", args=[token])
    response = Client().get(url)  # nobody signed in: the token is the credential
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(response.content)
    events = {str(e["summary"]): e for e in cal.walk("VEVENT")}
    assert events[f"{change.number} {change.title}"].decoded("dtstart") == soon
    assert "Blackout: Freeze" in events
    window = events["Maintenance: srv-01"]
    assert window["rrule"]["FREQ"] == ["WEEKLY"] and window["rrule"]["BYDAY"] == ["SA", "SU"]
    assert str(window.decoded("dtstart").tzinfo) == "Europe/Berlin"
    assert [str(t["tzid"]) for t in cal.walk("VTIMEZONE")] == ["Europe/Berlin"]
    # a reset token, a forged one and a requester's are refused
    services.reset_feed_token(actor=agent)
    assert Client().get(url).status_code == 404
    assert Client().get(url.replace(".ics", "x.ics")).status_code == 404
    requester_url = reverse(
        "change_schedule:calendar_feed", args=[services.feed_token(make_person())]
    )
    assert Client().get(requester_url).status_code == 404


def test_the_cab_agenda_shows_each_changes_schedule_conflicts() -> None:
    from steward.changes.services import cab
    from steward.changes.tests.factories import make_board

    # given a CAB meeting with two changes, one of them clashing with a third on srv-01
    shop = Shop()
    planned(shop.server, start=0, end=10)
    clashing = planned(shop.server, start=2, end=4)
    clear = planned(make_ci(), start=2, end=4)
    meeting = cab.create_meeting(
        actor=None, board=make_board(), starts_at=at(-48), agenda=[clashing, clear]
    )
    # when a change manager opens the meeting
    page = signed_in(make_change_manager()).get(
        reverse("changes:meeting_detail", args=[meeting.pk])
    )
    # then each agenda row says what the schedule check says
    text = page.content.decode()
    row = text[text.index(f'data-testid="agenda-{clashing.number}"') :]
    row = row[: row.index("</tr>")]
    assert "1 conflict (Another change on the same CI: blocks)" in row
    other = text[text.index(f'data-testid="agenda-{clear.number}"') :]
    assert "no conflicts" in other[: other.index("</tr>")]


def test_a_busy_month_day_lists_a_dozen_and_counts_the_rest() -> None:
    from steward.changes.calendar import MONTH_DAY_LIMIT

    for hour in range(MONTH_DAY_LIMIT + 3):
        planned(start=hour, end=hour + 1)
    client = signed_in(make_agent())
    url = reverse("change_schedule:calendar")
    month = client.get(url, {"date": "2031-03-01"}).content.decode()
    cell = month[month.index('data-day="2031-03-01"') :]
    cell = cell[: cell.index("</td>")]
    assert cell.count('data-kind="change"') == MONTH_DAY_LIMIT
    assert "+3 more" in cell and "mode=week&date=2031-03-01" in cell
    week = client.get(url, {"date": "2031-03-01", "mode": "week"}).content.decode()
    assert week.count('data-kind="change"') == MONTH_DAY_LIMIT + 3
