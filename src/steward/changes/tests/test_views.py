"""The change pages: requesters reach none; agents raise and work changes; the change page
shows plans, risk and why, services, tasks, approvals and caused incidents; approvers vote;
change managers set up templates, the questionnaire, boards and meetings; lists keep a
fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person
from steward.changes import services
from steward.changes.models import (
    ApprovalBoard,
    CabMeeting,
    Change,
    ChangeTemplate,
    RiskQuestion,
    Vote,
)
from steward.changes.services import cab
from steward.changes.tests.factories import (
    make_assessed,
    make_board,
    make_change,
    make_change_manager,
    make_question,
    make_template,
    window,
)
from steward.incidents.tests.factories import make_incident
from steward.tickets import services as tickets

pytestmark = pytest.mark.django_db


def signed_in(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    return client


@pytest.mark.parametrize("portal_gate", [True, False])
def test_requesters_reach_no_change_page(settings: Any, portal_gate: bool) -> None:
    settings.STEWARD = {**settings.STEWARD, "PORTAL_FOR_REQUESTERS": portal_gate}
    change = make_change()
    client = signed_in(make_person())
    refused = 403 if portal_gate else 404
    for url in (
        reverse("changes:change_list"),
        reverse("changes:change_create"),
        reverse("changes:template_list"),
        reverse("changes:meeting_list"),
        reverse("changes:report"),
        reverse("changes:risk", args=[change.number]),
        change.get_absolute_url(),
    ):
        assert client.get(url).status_code == refused, url
    ticket_page = reverse("tickets:ticket_detail", args=[change.number])
    assert client.get(ticket_page, follow=True).status_code == 404


def test_an_agent_raises_a_change_and_bad_input_is_a_form_error() -> None:
    client = signed_in(make_agent())
    bad = client.post(
        reverse("changes:change_create"),
        {
            "change_type": "normal",
            "title": "Patch",
            "impact": 2,
            "urgency": 2,
            "planned_start": "2026-12-01T10:00",
            "planned_end": "2026-12-01T09:00",
        },
    )
    assert bad.status_code == 400
    assert "The planned end must be after the planned start." in bad.content.decode()
    assert not Change.objects.exists()
    done = client.post(
        reverse("changes:change_create"),
        {
            "change_type": "normal",
            "title": "Patch the firewall",
            "impact": 2,
            "urgency": 2,
            "implementation_plan": "**Apply** the patch.",
            "backout_plan": "Restore.",
        },
    )
    change = Change.objects.get()
    assert done.status_code == 302 and change.title == "Patch the firewall"


def test_the_change_page_shows_plans_risk_services_tasks_and_caused_incidents() -> None:
    from steward.cmdb.tests.factories import make_service

    service = make_service(attributes={}, name="Payroll")
    make_question(text="Downtime?", points=30)
    change = make_assessed(affected_cis=[service], implementation_plan="**Drain** first")
    services.tasks.add_task(actor=None, change=change, title="Drain node")
    agent = make_agent()
    incident = make_incident()
    tickets.link_tickets(actor=agent, source=incident, target=change, link_type="caused_by")
    page = signed_in(agent).get(change.get_absolute_url()).content.decode()
    assert "<strong>Drain</strong> first" in page
    assert "Why this risk?" in page and "Downtime?" in page
    assert 'data-testid="affected-services"' in page and "Payroll" in page
    assert "Drain node" in page
    assert incident.number in page
    ticket_page = signed_in(agent).get(reverse("tickets:ticket_detail", args=[change.number]))
    assert "Why this risk?" in ticket_page.content.decode()  # the same panel on the ticket page


def test_an_approver_votes_from_the_change_page() -> None:
    member = make_person(roles=[RoleCode.CAB_MEMBER])
    make_board(name="CAB", members=[member])
    change = services.transition_change(actor=None, change=make_assessed(), to="approval")
    request = change.approvals.get()
    client = signed_in(member)
    page = client.get(change.get_absolute_url()).content.decode()
    assert 'data-testid="approve-cab"' in page
    url = reverse("changes:vote", args=[change.number, request.pk])
    client.post(url, {"decision": "approve", "revision": 5})  # stale: refused
    assert not Vote.objects.exists()
    client.post(url, {"decision": "approve", "revision": 1, "comment": "Fine"})
    assert Vote.objects.get().comment == "Fine"
    assert Change.objects.get(pk=change.pk).state == "scheduled"
    outsider = signed_in(make_person(roles=[RoleCode.CAB_MEMBER]))
    outsider.post(url, {"decision": "reject", "revision": 1})
    assert Vote.objects.count() == 1


def test_risk_review_and_tasks_from_the_pages() -> None:
    question = make_question(points=70)
    template = make_template()
    agent = make_agent()
    change = services.open_standard_change(actor=agent, template=template, **window())
    client = signed_in(agent)
    yes = question.options.get(label="Yes").pk
    client.post(reverse("changes:risk", args=[change.number]), {f"q{question.pk}": yes})
    assert Change.objects.get(pk=change.pk).risk_class == "high"
    for task in change.tasks.all():
        client.post(
            reverse("changes:task_update", args=[change.number, task.pk]), {"state": "done"}
        )
    assert set(change.tasks.values_list("state", flat=True)) == {"done"}
    services.transition_change(actor=agent, change=change, to="implementing")
    client.post(
        reverse("changes:review", args=[change.number]),
        {"outcome": "backed_out", "review_notes": "Rolled back.", "version": ""},
    )
    assert Change.objects.get(pk=change.pk).outcome == "backed_out"


def test_change_managers_set_up_templates_questions_boards_and_meetings() -> None:
    manager = make_change_manager()
    client = signed_in(manager)
    client.post(
        reverse("changes:template_create"),
        {
            "name": "Reboot a kiosk",
            "implementation_plan": "Reboot.",
            "backout_plan": "None.",
            "tasks": "Warn the staff | by phone\nReboot",
            "is_active": "on",
        },
    )
    template = ChangeTemplate.objects.get()
    assert template.tasks == [
        {"title": "Warn the staff", "description": "by phone"},
        {"title": "Reboot"},
    ]
    client.post(reverse("changes:template_approve", args=[template.pk]), {"approved": "true"})
    assert ChangeTemplate.objects.get().is_approved
    bad = client.post(
        reverse("changes:question_create"),
        {"text": "Tested?", "position": 1, "options": "Yes 0\nNo | 20", "is_active": "on"},
    )
    assert bad.status_code == 400 and not RiskQuestion.objects.exists()
    client.post(
        reverse("changes:question_create"),
        {"text": "Tested?", "position": 1, "options": "Yes | 0\nNo | 20", "is_active": "on"},
    )
    assert [o.points for o in RiskQuestion.objects.get().options.all()] == [0, 20]
    client.post(
        reverse("changes:board_create"),
        {"name": "CAB", "kind": "cab", "rule": "majority", "paths": ["high"], "is_active": "on"},
    )
    board = ApprovalBoard.objects.get()
    change = make_change()
    client.post(
        reverse("changes:meeting_create"),
        {"board": board.pk, "starts_at": "2026-12-01T10:00", "agenda": [change.pk]},
    )
    meeting = CabMeeting.objects.get()
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert f'data-testid="agenda-{change.number}"' in page
    agent = signed_in(make_agent())
    assert agent.post(reverse("changes:board_create"), {"name": "x"}).status_code == 403
    assert agent.get(reverse("changes:question_list")).status_code == 403


def test_list_pages_keep_their_query_count() -> None:
    manager = make_change_manager()
    client = signed_in(manager)
    board = make_board(name="CAB")
    meeting = cab.create_meeting(actor=None, board=board, starts_at=window()["planned_start"])

    def counts() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as listed:
            assert client.get(reverse("changes:change_list")).status_code == 200
        with CaptureQueriesContext(connection) as agenda:
            assert client.get(meeting.get_absolute_url()).status_code == 200
        return len(listed), len(agenda)

    for _ in range(2):
        make_change()
    cab.set_agenda(actor=None, meeting=meeting, agenda=Change.objects.all())
    few = counts()
    for _ in range(8):
        make_change(change_type="emergency")
    cab.set_agenda(actor=None, meeting=meeting, agenda=Change.objects.all())
    many = counts()
    assert many == few


def test_figures_page() -> None:
    from django.utils import timezone

    make_change(change_type="emergency")
    today = timezone.localdate().isoformat()
    page = signed_in(make_agent()).get(reverse("changes:report"), {"since": today, "until": today})
    assert page.status_code == 200
    assert "100%" in page.content.decode()
