"""The change API through the shared permission harness, plus its actions."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person
from steward.changes import services
from steward.changes.models import ApprovalBoard, Change, ChangeTask, ChangeTemplate, Vote
from steward.changes.tests.factories import (
    make_assessed,
    make_board,
    make_change,
    make_change_manager,
    make_question,
    make_template,
    window,
)
from steward.core.testing import ApiResourceTests, assert_problem

pytestmark = pytest.mark.django_db


def client_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


class TestChangeApi(ApiResourceTests):
    basename = "change"
    organisation_scoped = False  # changes belong to no organisation
    list_query_budget = 10
    filter_cases = [
        ({"change_type": "emergency"}, lambda c: c.change_type == "emergency"),
        ({"change_state": "assessment"}, lambda c: c.state == "assessment"),
        ({"risk_class": "low"}, lambda c: c.risk_class == "low"),
    ]

    def make_object(self, organisation: Any) -> Change:
        n = Change.objects.count()
        if n % 3 == 1:
            return make_change(change_type="emergency", **window())
        if n % 3 == 2:
            return make_assessed()
        return make_change()

    def allowed_user(self, organisation: Any) -> Person:
        return make_change_manager(organisation=organisation)

    def denied_user(self, organisation: Any) -> Person:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Any) -> dict[str, Any]:
        return {"title": "Patch the firewall", "backout_plan": "Restore the config."}

    def update_payload(self, obj: Any) -> dict[str, Any]:
        return {"title": f"{obj.title} (checked)"}


def test_an_agent_raises_a_change_and_a_standard_one_from_a_template() -> None:
    client = client_for(make_agent())
    created = client.post(
        reverse("change-list"),
        {"title": "Patch", "change_type": "emergency", "backout_plan": "Undo"},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["change_type"] == "emergency"
    template = make_template()
    when = window()
    standard = client.post(
        reverse("change-list"),
        {
            "title": "Restart tonight",
            "change_type": "standard",
            "template": template.pk,
            "planned_start": when["planned_start"].isoformat(),
            "planned_end": when["planned_end"].isoformat(),
        },
        format="json",
    )
    assert standard.status_code == 201, standard.content
    assert standard.json()["state"] == "scheduled"


def test_a_standard_change_needs_an_approved_template_and_changes_nothing() -> None:
    client = client_for(make_agent())
    template = make_template(approved=False)
    when = window()
    refused = client.post(
        reverse("change-list"),
        {
            "title": "x",
            "change_type": "standard",
            "template": template.pk,
            "planned_start": when["planned_start"].isoformat(),
            "planned_end": when["planned_end"].isoformat(),
        },
        format="json",
    )
    body = assert_problem(refused, 400)
    assert body["errors"][0]["field"] == "template"
    assert not Change.objects.exists()


def test_requesters_see_nothing_of_changes() -> None:
    change = make_change()
    client = client_for(make_person())
    assert client.get(reverse("change-list")).json()["results"] == []
    assert_problem(client.get(reverse("change-detail", args=[change.pk])), 404)
    assert_problem(
        client.get(reverse("change-figures"), {"from": "2026-01-01", "to": "2026-01-02"}), 404
    )


def test_risk_is_assessed_and_explained() -> None:
    question = make_question(points=40)
    change = make_change()
    client = client_for(make_agent())
    url = reverse("change-risk", args=[change.pk])
    yes = question.options.get(label="Yes").pk
    bad = client.post(url, {"answers": {str(question.pk): 999999}}, format="json")
    assert_problem(bad, 400)
    assert Change.objects.get(pk=change.pk).risk_score is None
    assessed = client.post(url, {"answers": {str(question.pk): yes}}, format="json")
    assert assessed.status_code == 200, assessed.content
    body = assessed.json()
    assert (body["score"], body["risk_class"], body["questionnaire"]) == (40, "moderate", 40)
    assert body["answers"] == [{"question": question.text, "answer": "Yes", "points": 40}]
    assert client.get(url).json()["score"] == 40
    assert Change.objects.get(pk=change.pk).risk_class == "moderate"


def test_votes_through_the_api_and_their_refusals() -> None:
    member = make_person(roles=[RoleCode.CAB_MEMBER])
    make_board(name="CAB", members=[member])
    change = make_assessed()
    change = services.transition_change(actor=None, change=change, to="approval")
    (request,) = client_for(member).get(reverse("change-approvals", args=[change.pk])).json()
    url = reverse("changeapproval-vote", args=[request["id"]])
    outsider = make_person(roles=[RoleCode.CAB_MEMBER])
    assert_problem(client_for(outsider).post(url, {"decision": "approve"}, format="json"), 403)
    stale = client_for(member).post(url, {"decision": "approve", "revision": 7}, format="json")
    assert_problem(stale, 400)
    assert not Vote.objects.exists()
    done = client_for(member).post(url, {"decision": "approve", "comment": "ok"}, format="json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "approved"
    assert Vote.objects.get().channel == "api"
    assert Change.objects.get(pk=change.pk).state == "scheduled"
    again = client_for(member).post(url, {"decision": "reject"}, format="json")
    assert_problem(again, 400)


def test_tasks_templates_boards_and_meetings() -> None:
    manager = make_change_manager()
    client = client_for(manager)
    change = make_change()
    task = client.post(
        reverse("changetask-list"), {"change": change.pk, "title": "Drain node"}, format="json"
    )
    assert task.status_code == 201, task.content
    patched = client.patch(
        reverse("changetask-detail", args=[task.json()["id"]]), {"state": "done"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["finished_at"]
    assert ChangeTask.objects.get().state == "done"
    template = client.post(
        reverse("changetemplate-list"),
        {"name": "Reboot", "implementation_plan": "Reboot.", "backout_plan": "None."},
        format="json",
    )
    assert template.status_code == 201
    approved = client.post(
        reverse("changetemplate-approve", args=[template.json()["id"]]), {}, format="json"
    )
    assert approved.json()["is_approved"] is True
    assert_problem(
        client_for(make_agent()).post(reverse("changetemplate-list"), {"name": "x"}, format="json"),
        403,
    )
    assert ChangeTemplate.objects.count() == 1
    board = client.post(
        reverse("approvalboard-list"),
        {"name": "CAB", "kind": "cab", "rule": "quorum", "paths": ["high"]},
        format="json",
    )
    body = assert_problem(board, 400)
    assert body["errors"][0]["field"] == "quorum"
    board = client.post(
        reverse("approvalboard-list"),
        {"name": "CAB", "kind": "cab", "rule": "quorum", "quorum": 2, "paths": ["high"]},
        format="json",
    )
    assert board.status_code == 201
    meeting = client.post(
        reverse("cabmeeting-list"),
        {"board": board.json()["id"], "starts_at": "2026-12-01T10:00:00Z", "agenda": [change.pk]},
        format="json",
    )
    assert meeting.status_code == 201, meeting.content
    agenda = client.get(reverse("cabmeeting-agenda", args=[meeting.json()["id"]])).json()
    assert [row["number"] for row in agenda] == [change.number]
    assert ApprovalBoard.objects.count() == 1


def test_risk_settings_are_validated() -> None:
    client = client_for(make_change_manager())
    url = reverse("riskquestion-risk-settings")
    assert client.get(url).json()["high_from"] == 60
    assert_problem(client.patch(url, {"high_from": 10}, format="json"), 400)
    assert client.patch(url, {"high_from": 70}, format="json").json()["high_from"] == 70
    assert_problem(client_for(make_agent()).patch(url, {"high_from": 80}, format="json"), 403)


def test_figures_endpoint() -> None:
    client = client_for(make_change_manager())
    make_change(change_type="emergency")
    make_change()
    from django.utils import timezone

    today = timezone.localdate().isoformat()
    body = client.get(reverse("change-figures"), {"from": today, "to": today}).json()
    assert (body["raised"], body["emergency"], body["emergency_ratio"]) == (2, 1, 0.5)
    assert body["success_rate"] is None
    assert_problem(client.get(reverse("change-figures"), {"from": "x", "to": today}), 400)
