"""The schedule's API: windows and blackouts (permissions, filters, query budgets), the
policy, a change's conflicts and overrides, the calendar feed URL."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from rest_framework.test import APIClient

from steward.accounts.tests.factories import make_agent, make_person
from steward.changes.models_schedule import BlackoutWindow, ConflictOverride, MaintenanceWindow
from steward.changes.tests.factories import make_change, make_change_manager
from steward.changes.tests.schedule_factories import Shop, at, blackout, planned, weekly_window
from steward.cmdb.tests.factories import make_ci, make_service
from steward.core.testing import ApiResourceTests, assert_problem

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestMaintenanceWindowApi(ApiResourceTests):
    basename = "maintenance-window"
    organisation_scoped = False
    filter_cases: ClassVar[list[Any]] = [
        ({"kind": "recurring"}, lambda w: w.kind == "recurring"),
        ({"q": "Weekend"}, lambda w: "Weekend" in w.name),
    ]

    def make_object(self, organisation: Any) -> MaintenanceWindow:
        return weekly_window(make_ci())

    def allowed_user(self, organisation: Any) -> Any:
        return make_change_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Any:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "name": "Sunday mornings",
            "configuration_item": make_ci().pk,
            "kind": "recurring",
            "weekdays": [6],
            "start_time": "06:00",
            "end_time": "09:00",
            "time_zone": "Europe/Berlin",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"name": "Renamed"}


class TestBlackoutWindowApi(ApiResourceTests):
    basename = "blackout-window"
    organisation_scoped = False
    filter_cases: ClassVar[list[Any]] = [
        ({"is_global": "true"}, lambda b: b.service_id is None),
        ({"policy": "warn"}, lambda b: b.policy == "warn"),
    ]

    def make_object(self, organisation: Any) -> BlackoutWindow:
        return blackout(service=make_service())

    def allowed_user(self, organisation: Any) -> Any:
        return make_change_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Any:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {
            "name": "Audit freeze",
            "starts_at": "2031-06-01T00:00:00Z",
            "ends_at": "2031-06-03T00:00:00Z",
            "policy": "warn",
        }

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"reason": "Quarter close"}


def test_an_agent_reads_windows_but_cannot_write_them() -> None:
    window = weekly_window(make_ci())
    client = client_for(make_agent())
    assert client.get(f"/api/v1/change-maintenance-windows/{window.pk}/").status_code == 200
    assert_problem(client.post("/api/v1/change-maintenance-windows/", {}, format="json"), 403)
    assert_problem(
        client.patch(
            f"/api/v1/change-maintenance-windows/{window.pk}/", {"name": "x"}, format="json"
        ),
        403,
    )
    assert MaintenanceWindow.objects.get().name == window.name


def test_bad_windows_are_refused_with_the_reason() -> None:
    client = client_for(make_change_manager())
    ci = make_ci()
    backwards = client.post(
        "/api/v1/change-maintenance-windows/",
        {
            "name": "Backwards",
            "configuration_item": ci.pk,
            "kind": "one_off",
            "starts_at": "2031-06-02T00:00:00Z",
            "ends_at": "2031-06-01T00:00:00Z",
        },
        format="json",
    )
    body = assert_problem(backwards, 400)
    assert any("ends before it starts" in e["message"] for e in body["errors"])
    zone = client.post(
        "/api/v1/change-maintenance-windows/",
        {
            "name": "Nowhere",
            "configuration_item": ci.pk,
            "kind": "recurring",
            "weekdays": [1],
            "start_time": "01:00",
            "end_time": "02:00",
            "time_zone": "Mars/Olympus",
        },
        format="json",
    )
    assert_problem(zone, 400)
    assert not MaintenanceWindow.objects.exists()


def test_overlapping_blackouts_of_the_same_scope_are_refused() -> None:
    service = make_service()
    first = blackout(service=service)
    client = client_for(make_change_manager())
    payload = {
        "name": "Second",
        "service": service.pk,
        "starts_at": at(0).isoformat(),
        "ends_at": at(100).isoformat(),
    }
    body = assert_problem(client.post("/api/v1/change-blackouts/", payload, format="json"), 400)
    assert any(first.name in e["message"] for e in body["errors"])
    # another scope (every change) may overlap it
    payload["service"] = None
    assert client.post("/api/v1/change-blackouts/", payload, format="json").status_code == 201
    backwards = {**payload, "name": "Backwards", "starts_at": at(300).isoformat()}
    assert_problem(client.post("/api/v1/change-blackouts/", backwards, format="json"), 400)
    assert BlackoutWindow.objects.count() == 2


def test_the_policy_is_read_by_staff_and_changed_by_change_managers() -> None:
    agent, manager = make_agent(), make_change_manager()
    assert client_for(agent).get("/api/v1/change-schedule-policy/").json()["hops"] == 2
    assert_problem(
        client_for(agent).patch("/api/v1/change-schedule-policy/", {"hops": 3}, format="json"),
        403,
    )
    done = client_for(manager).patch(
        "/api/v1/change-schedule-policy/", {"hops": 3, "same_ci": "warn"}, format="json"
    )
    assert done.json() == {
        "same_ci": "warn",
        "related_ci": "warn",
        "outside_window": "warn",
        "hops": 3,
    }
    assert_problem(client_for(make_person()).get("/api/v1/change-schedule-policy/"), 404)


def test_conflicts_endpoint_reports_and_overrides() -> None:
    # given a change on hr-app and mine on payroll-app and srv-01, both planned
    shop = Shop()
    other = planned(shop.app_c, start=1, end=3)
    mine = planned(shop.app_a, start=2, end=4, affected_cis=[shop.server])
    manager = make_change_manager()
    url = f"/api/v1/changes/{mine.pk}/conflicts/"
    # when checked as planned
    report = client_for(make_agent()).get(url)
    # then the related change is reported with its path, as a warning
    assert report.status_code == 200, report.content
    body = report.json()
    assert body["blocking"] == 0
    [found] = body["conflicts"]
    assert found["kind"] == "related_ci" and found["change_number"] == other.number
    assert found["path_text"] == "srv-01 <-runs on- hr-app"
    # a proposed period and CI list as query parameters
    moved = client_for(manager).get(
        url, {"planned_start": at(5).isoformat(), "planned_end": at(6).isoformat()}
    )
    assert moved.json()["conflicts"] == []
    # scheduling into a blocking conflict: 400 without a reason, override with one
    blocker = planned(shop.server, start=0, end=10)
    refused = client_for(manager).post(url, {}, format="json")
    assert_problem(refused, 400)
    assert not ConflictOverride.objects.exists()
    denied = client_for(make_agent()).post(url, {"override_reason": "x"}, format="json")
    assert denied.status_code in (403, 404)
    done = client_for(manager).post(url, {"override_reason": "Agreed"}, format="json")
    assert done.status_code == 200, done.content
    keys = {c["key"]: c for c in done.json()["conflicts"]}
    assert keys[f"change:{blocker.pk}"]["overridden"] is True
    assert done.json()["blocking"] == 0
    assert ConflictOverride.objects.get().conflicts == [f"change:{blocker.pk}"]


def test_conflicts_endpoint_hides_changes_from_requesters_and_checks_input() -> None:
    mine = make_change()
    assert_problem(client_for(make_person()).get(f"/api/v1/changes/{mine.pk}/conflicts/"), 404)
    client = client_for(make_change_manager())
    assert_problem(client.get(f"/api/v1/changes/{mine.pk}/conflicts/"), 400)  # not planned
    bad = client.get(
        f"/api/v1/changes/{mine.pk}/conflicts/",
        {"planned_start": at(2).isoformat(), "planned_end": at(1).isoformat()},
    )
    assert_problem(bad, 400)
    assert_problem(
        client.get(
            f"/api/v1/changes/{mine.pk}/conflicts/",
            {"planned_start": at(1).isoformat(), "planned_end": at(2).isoformat(), "cis": "x"},
        ),
        400,
    )


def test_feed_url_is_personal_and_resettable() -> None:
    agent = make_agent()
    client = client_for(agent)
    url = client.get("/api/v1/change-calendar-feed/").json()["url"]
    assert client.get("/api/v1/change-calendar-feed/").json()["url"] == url
    fresh = client.post("/api/v1/change-calendar-feed/").json()["url"]
    assert fresh != url
    assert_problem(client_for(make_person()).get("/api/v1/change-calendar-feed/"), 404)
