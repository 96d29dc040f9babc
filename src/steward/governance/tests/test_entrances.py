"""The KPI, variant and export entrances: web pages, API, commands; who sees what; query budgets."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.choices import RoleCode
from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.core.testing import assert_problem
from steward.governance.tests.factories import make_history, make_kpi_reader

pytestmark = pytest.mark.django_db

DAY = datetime(2026, 3, 2, 9, tzinfo=UTC)
H = timedelta(hours=1)
PERIOD = {"since": "2026-03-02", "until": "2026-03-08"}


def _histories(n: int = 3, team: Any = None) -> None:
    team = team or make_team(name="Desk")
    for i in range(n):
        make_history(
            opened=DAY + i * H,
            team=team,
            moves=[(DAY + i * H + H, "in_progress"), (DAY + i * H + 3 * H, "resolved")],
        )


def _api(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def _web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    "role",
    [
        RoleCode.INCIDENT_MANAGER,
        RoleCode.SERVICE_LEVEL_MANAGER,
        RoleCode.CHANGE_MANAGER,
        RoleCode.SERVICE_OWNER,
        RoleCode.AUDITOR,
    ],
)
def test_managers_hold_the_right(role: str) -> None:
    assert make_person(roles=[role]).has_perm("governance.view_kpis")


@pytest.mark.parametrize("role", [RoleCode.REQUESTER, RoleCode.AGENT, RoleCode.TEAM_LEAD])
def test_agents_and_requesters_do_not(role: str) -> None:
    person = make_person(roles=[role])
    assert not person.has_perm("governance.view_kpis")
    # (requesters meet the portal's wall first: 403; staff without the right: 404)
    for name in ("governance:kpi_report", "governance:variants"):
        assert _web(person).get(reverse(name)).status_code in (403, 404)
    export = _web(person).get(reverse("exports:download", args=["xes"]), PERIOD)
    assert export.status_code in (403, 404)
    for url in ("/api/v1/reports/kpis/", "/api/v1/reports/variants/", "/api/v1/exports/xes/"):
        assert_problem(_api(person).get(url, PERIOD), 403)


def test_api_kpis_answer_json_with_a_fixed_number_of_queries(
    django_assert_max_num_queries: Any,
) -> None:
    _histories(3)
    client = _api(make_kpi_reader())
    with django_assert_max_num_queries(40) as few:
        small = client.get("/api/v1/reports/kpis/", {**PERIOD, "group_by": "team"})
    _histories(12, team=make_team(name="Network"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        large = client.get("/api/v1/reports/kpis/", {**PERIOD, "group_by": "team"})
    assert small.status_code == large.status_code == 200
    body = large.json()
    assert body["total"]["resolved"] == 15
    assert body["total"]["median_resolve_seconds"] == 3 * 3600
    assert {row["label"]: row["resolved"] for row in body["rows"]} == {"Desk": 3, "Network": 12}


def test_api_refuses_bad_parameters_with_problems() -> None:
    client = _api(make_kpi_reader())
    assert_problem(client.get("/api/v1/reports/kpis/", {"since": "2026-03-02"}), 400)
    assert_problem(
        client.get("/api/v1/reports/kpis/", {"since": "2026-03-09", "until": "2026-03-02"}), 400
    )
    assert_problem(client.get("/api/v1/reports/kpis/", {**PERIOD, "group_by": "colour"}), 400)
    assert_problem(client.get("/api/v1/reports/kpis/", {**PERIOD, "kind": "nothing"}), 400)
    assert_problem(client.get("/api/v1/reports/variants/", {**PERIOD, "limit": "0"}), 400)
    assert_problem(client.get("/api/v1/exports/csv/", PERIOD), 404)


def test_api_variants_and_exports() -> None:
    _histories(2)
    client = _api(make_kpi_reader())
    variants = client.get("/api/v1/reports/variants/", PERIOD).json()
    assert variants["cases"] == 2
    assert variants["variants"][0]["labels"] == ["New", "In progress", "Resolved"]
    response = client.get("/api/v1/exports/ocel/", PERIOD)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    log = json.loads(b"".join(response.streaming_content))  # type: ignore[attr-defined]
    assert len(log["events"]) == 6


def test_the_kpi_page_draws_the_charts_and_explains_the_figures() -> None:
    _histories(3)
    client = _web(make_kpi_reader())

    page = client.get(reverse("governance:kpi_report"), {**PERIOD, "kind": "incident"})

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="backlog-chart"' in html
    assert "<polyline" in html
    assert "How each figure is computed" in html
    assert page.context["report"].total.resolved == 3
    bad = client.get(reverse("governance:kpi_report"), {"since": "2026-03-09", "until": "x"})
    assert bad.status_code == 400
    assert bad.context["report"] is None


def test_the_variant_page_links_the_downloads() -> None:
    _histories(2)
    client = _web(make_kpi_reader())

    page = client.get(reverse("governance:variants"), {**PERIOD, "kind": "incident"})

    assert page.status_code == 200
    assert page.context["report"].cases == 2
    download = client.get(reverse("exports:download", args=["xes"]), {**PERIOD, "kind": "incident"})
    assert download.status_code == 200
    assert b"<trace>" in b"".join(download.streaming_content)  # type: ignore[attr-defined]
    assert client.get(reverse("exports:download", args=["xes"]), {}).status_code == 400


def test_the_kpi_command_prints_json_csv_and_text() -> None:
    _histories(2)
    args = ["report", "kpis", "--from", "2026-03-02", "--to", "2026-03-08"]
    out = StringIO()
    call_command(*args, "--format", "json", "--group-by", "team", stdout=out)
    assert json.loads(out.getvalue())["total"]["opened"] == 2
    out = StringIO()
    call_command(*args, "--format", "csv", stdout=out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert rows[-1]["label"] == "All" and rows[-1]["resolved"] == "2"
    out = StringIO()
    call_command(*args, stdout=out)
    assert "Incident KPIs 2026-03-02 to 2026-03-08" in out.getvalue()
    with pytest.raises(CommandError):
        call_command(*args, "--kind", "nothing")
    with pytest.raises(CommandError):
        call_command("report", "kpis", "--from", "2026-03-02", "--to", "2026-03-01")


def test_agents_menu_has_no_governance_entries() -> None:
    page = _web(make_agent()).get("/")
    assert reverse("governance:kpi_report") not in page.content.decode()
    page = _web(make_kpi_reader()).get("/")
    assert reverse("governance:kpi_report") in page.content.decode()
