"""``/api/v1/import-runs/`` and Administration > Imports: who sees import runs."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.tests.factories import make_admin, make_agent, make_auditor, make_person
from steward.core.testing import ApiResourceTests
from steward.interop.models import ImportRun, ImportRunStatus, ImportSource


def make_run(**overrides: Any) -> ImportRun:
    values: dict[str, Any] = {
        "source": ImportSource.SERVICENOW_INCIDENTS,
        "path": "/data/incident_event_log.csv.xz",
        "checksum": "ab" * 32,
        "status": ImportRunStatus.COMPLETED_WITH_ERRORS,
        "cases_committed": 3,
        "summary": {
            "counts": {"incidents_created": 2, "errors": 1},
            "unmapped": [{"column": "contact_type", "value": "Fax", "count": 4, "first_line": 12}],
            "errors": [{"line": 40, "case": "INC0000103", "message": "Invalid values"}],
            "warnings": [{"line": 8, "case": "INC0000101", "message": "Duplicate event"}],
        },
    }
    values.update(overrides)
    return ImportRun.objects.create(**values)


class TestImportRunApi(ApiResourceTests):
    basename = "import-run"
    organisation_scoped = False
    filter_cases = [
        ({"status": "completed_with_errors"}, lambda run: run.status == "completed_with_errors"),
        ({"source": "bpic2013-incidents"}, lambda run: run.source == "bpic2013-incidents"),
    ]

    def make_object(self, organisation: Any) -> ImportRun:
        return make_run()

    def allowed_user(self, organisation: Any) -> Any:
        return make_auditor(organisation=organisation)

    def denied_user(self, organisation: Any) -> Any:
        return make_agent(organisation=organisation)


@pytest.mark.django_db
def test_the_api_shows_the_summary_and_refuses_writes() -> None:
    run = make_run()
    client = APIClient()
    client.force_authenticate(make_admin())
    body = client.get(reverse("import-run-detail", args=[run.pk])).json()
    summary = body["summary"]
    assert summary["counts"] == {"incidents_created": 2, "errors": 1}
    assert summary["unmapped"][0]["first_line"] == 12
    assert summary["errors"][0] == {"line": 40, "case": "INC0000103", "message": "Invalid values"}
    assert summary["warnings"][0]["line"] == 8
    # importing is a CLI action: no writes through the API
    assert client.post(reverse("import-run-list"), {}, format="json").status_code == 405
    assert client.delete(reverse("import-run-detail", args=[run.pk])).status_code == 405
    assert ImportRun.objects.filter(pk=run.pk).exists()


@pytest.mark.django_db
def test_imports_page_lists_runs_for_administrators_only(client: Any) -> None:
    run = make_run()
    make_run(
        source=ImportSource.BPIC2013_INCIDENTS,
        status=ImportRunStatus.COMPLETED,
        path="/data/incidents.xes.gz",
    )
    # an administrator sees the list, the menu entry and a run's errors with line numbers
    client.force_login(make_admin())
    with CaptureQueriesContext(connection) as queries:
        page = client.get(reverse("interop:importrun_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "ServiceNow incident event log" in text and "BPI Challenge 2013" in text
    assert 'href="/imports/"' in text
    few = len(queries)
    for _ in range(10):
        make_run()
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("interop:importrun_list"))
    assert len(more) == few
    detail = client.get(reverse("interop:importrun_detail", args=[run.pk])).content.decode()
    assert "INC0000103" in detail and "<td>40</td>" in detail and "Fax" in detail
    filtered = client.get(reverse("interop:importrun_list"), {"source": "bpic2013-incidents"})
    assert "/data/incident_event_log.csv.xz" not in filtered.content.decode()
    # agents and requesters do not
    for person in (make_agent(), make_person()):
        client.force_login(person)
        assert client.get(reverse("interop:importrun_list")).status_code in (403, 404)
        assert client.get(reverse("interop:importrun_detail", args=[run.pk])).status_code in (
            403,
            404,
        )
