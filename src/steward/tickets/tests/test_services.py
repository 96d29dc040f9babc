"""The ticket services: numbering, priority, editing with versions, comments, links, time."""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from steward.accounts.tests.factories import (
    make_admin,
    make_agent,
    make_organisation,
    make_person,
    make_team,
)
from steward.cmdb.tests.factories import make_ci, make_service
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.tickets import services
from steward.tickets.choices import Impact, LinkType, Urgency
from steward.tickets.models import Comment, Ticket, TicketLink
from steward.tickets.tests.factories import make_assigned_ticket, make_ticket

pytestmark = pytest.mark.django_db


# --- creating --------------------------------------------------------------------------------


def test_a_requester_opens_a_ticket_numbered_prioritised_and_audited() -> None:
    organisation = make_organisation()
    requester = make_person(organisation=organisation)
    ticket = services.create_ticket(
        actor=requester,
        title="VPN drops every hour",
        description="Since **Monday**.",
        impact=Impact.MEDIUM,
        urgency=Urgency.HIGH,
    )
    assert ticket.number.startswith("TSK") and len(ticket.number) == 10
    assert ticket.kind == "tickets.ticket"
    assert ticket.organisation == organisation
    assert ticket.priority == 2
    assert ticket.state == "new" and ticket.state_category == "new"
    assert ticket.version == 1
    entry = AuditEntry.objects.for_object(ticket).get()
    assert entry.action == "ticket.created"
    assert entry.actor == requester
    assert entry.changes["title"] == [None, "VPN drops every hour"]


def test_numbers_follow_each_other_and_are_never_reused() -> None:
    first = make_ticket()
    second = make_ticket()
    assert int(second.number[3:]) == int(first.number[3:]) + 1
    Ticket.objects.filter(pk=second.pk).delete()
    third = make_ticket()
    assert int(third.number[3:]) == int(second.number[3:]) + 1


def test_concurrent_creation_never_repeats_a_number(shared_database: None) -> None:
    requester = make_person()
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def create(n: int) -> None:
        try:
            for i in range(5):
                ticket = services.create_ticket(
                    actor=None, title=f"Thread {n} ticket {i}", requester=requester
                )
                with lock:
                    numbers.append(ticket.number)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(numbers) == 20
    assert len(set(numbers)) == 20


def test_requesters_may_not_route_their_own_tickets() -> None:
    requester = make_person()
    team = make_team()
    with pytest.raises(Forbidden):
        services.create_ticket(actor=requester, title="Route me", team=team)
    assert not Ticket.objects.exists()


def test_an_agent_opens_a_ticket_for_someone_else_with_a_service() -> None:
    agent = make_agent()
    requester = make_person()
    service = make_service(name="E-mail")
    ticket = services.create_ticket(
        actor=agent, title="Mailbox full", requester=requester, service=service
    )
    assert ticket.requester == requester
    assert ticket.service == service
    with pytest.raises(RuleViolation) as excinfo:
        services.create_ticket(actor=agent, title="Wrong", requester=requester, service=make_ci())
    assert "service" in excinfo.value.message_dict


def test_a_requester_cannot_open_a_ticket_for_someone_else() -> None:
    requester = make_person()
    with pytest.raises(Forbidden):
        services.create_ticket(actor=requester, title="On behalf", requester=make_person())


def test_markdown_with_script_is_refused_and_nothing_is_saved() -> None:
    requester = make_person()
    for bad in ("<script>alert(1)</script>", "[click](javascript:alert(1))"):
        with pytest.raises(RuleViolation) as excinfo:
            services.create_ticket(actor=requester, title="XSS", description=bad)
        assert "description" in excinfo.value.message_dict
    assert not Ticket.objects.exists()


def test_the_assignee_must_belong_to_the_team() -> None:
    agent = make_agent()
    outsider = make_agent()
    team = make_team(lead=agent)
    with pytest.raises(RuleViolation) as excinfo:
        make_ticket(team=team, assignee=outsider)
    assert "assignee" in excinfo.value.message_dict


def test_the_priority_matrix_is_the_administrators() -> None:
    admin = make_admin()
    services.set_priority_rule(actor=admin, impact=3, urgency=3, priority=4)
    assert make_ticket(impact=3, urgency=3).priority == 4
    with pytest.raises(Forbidden):
        services.set_priority_rule(actor=make_agent(), impact=3, urgency=3, priority=1)


# --- editing ---------------------------------------------------------------------------------


def test_editing_bumps_the_version_and_a_stale_edit_changes_nothing() -> None:
    ticket, agent = make_assigned_ticket(title="Printer is jammed")
    updated = services.update_ticket(
        actor=agent, ticket=ticket, expected_version=1, title="Printer on floor 2 is jammed"
    )
    assert updated.version == 2
    with pytest.raises(Conflict):
        services.update_ticket(actor=agent, ticket=ticket, expected_version=1, title="Stale")
    ticket.refresh_from_db()
    assert ticket.title == "Printer on floor 2 is jammed"
    assert ticket.version == 2
    entry = AuditEntry.objects.for_object(ticket).filter(action="ticket.updated").get()
    assert entry.changes == {"title": ["Printer is jammed", "Printer on floor 2 is jammed"]}


def test_states_never_change_by_editing() -> None:
    ticket, agent = make_assigned_ticket()
    with pytest.raises(RuleViolation):
        services.update_ticket(actor=agent, ticket=ticket, state="closed")
    ticket.refresh_from_db()
    assert ticket.state == "new"


def test_changing_impact_recomputes_priority() -> None:
    ticket, agent = make_assigned_ticket(impact=Impact.LOW, urgency=Urgency.LOW)
    assert ticket.priority == 5
    ticket = services.update_ticket(actor=agent, ticket=ticket, impact=Impact.HIGH)
    assert ticket.priority == 3


def test_moving_to_another_team_unassigns_a_non_member() -> None:
    ticket, agent = make_assigned_ticket()
    other_team = make_team(lead=make_agent())
    ticket = services.update_ticket(actor=agent, ticket=ticket, team=other_team)
    assert ticket.team == other_team
    assert ticket.assignee is None


def test_requesters_edit_only_their_words_and_only_while_open() -> None:
    ticket = make_ticket()
    requester = ticket.requester
    services.update_ticket(actor=requester, ticket=ticket, description="More detail.")
    with pytest.raises(Forbidden):
        services.update_ticket(actor=requester, ticket=ticket, team=make_team())
    stranger = make_person()
    with pytest.raises(NotFound):
        services.update_ticket(actor=stranger, ticket=ticket, title="Mine now")


# --- comments --------------------------------------------------------------------------------


def test_the_first_public_staff_reply_is_the_first_response() -> None:
    ticket, agent = make_assigned_ticket()
    services.add_comment(actor=ticket.requester, ticket=ticket, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    services.add_comment(actor=agent, ticket=ticket, body="Looking into it", is_public=False)
    ticket.refresh_from_db()
    assert ticket.first_response_at is None
    reply = services.add_comment(actor=agent, ticket=ticket, body="On my way.")
    ticket.refresh_from_db()
    assert ticket.first_response_at == reply.created_at


def test_requesters_never_see_or_write_work_notes() -> None:
    ticket, agent = make_assigned_ticket()
    services.add_comment(actor=agent, ticket=ticket, body="Internal: vendor bug", is_public=False)
    services.add_comment(actor=agent, ticket=ticket, body="We are on it.")
    requester = ticket.requester
    seen = list(Comment.objects.visible_to(requester).filter(ticket=ticket))
    assert [c.body for c in seen] == ["We are on it."]
    assert Comment.objects.visible_to(agent).filter(ticket=ticket).count() == 2
    with pytest.raises(Forbidden):
        services.add_comment(actor=requester, ticket=ticket, body="sneaky", is_public=False)


# --- attachments -----------------------------------------------------------------------------


def test_attachments_are_checked_by_content(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    ticket = make_ticket()
    requester = ticket.requester
    text = services.add_attachment(
        actor=requester, ticket=ticket, file=io.BytesIO(b"line one\nline two\n"), filename="log.txt"
    )
    assert text.content_type == "text/plain"
    assert text.size == 18
    assert len(text.sha256) == 64
    with pytest.raises(Exception) as excinfo:
        services.add_attachment(
            actor=requester,
            ticket=ticket,
            file=io.BytesIO(b"MZ\x90\x00" + b"\x00" * 200),
            filename="invoice.pdf",
        )
    assert "invoice.pdf" in str(excinfo.value) or "executable" in str(excinfo.value).lower()
    assert ticket.attachments.count() == 1


# --- links -----------------------------------------------------------------------------------


def test_links_refuse_self_repeats_and_parent_cycles() -> None:
    agent = make_agent()
    a, b, c = (make_ticket() for _ in range(3))
    services.link_tickets(actor=agent, source=a, target=b, link_type=LinkType.PARENT_OF)
    services.link_tickets(actor=agent, source=b, target=c, link_type=LinkType.PARENT_OF)
    with pytest.raises(RuleViolation):
        services.link_tickets(actor=agent, source=c, target=a, link_type=LinkType.PARENT_OF)
    with pytest.raises(RuleViolation):
        services.link_tickets(actor=agent, source=a, target=a, link_type=LinkType.RELATED_TO)
    with pytest.raises(RuleViolation):
        services.link_tickets(actor=agent, source=a, target=b, link_type=LinkType.PARENT_OF)
    assert TicketLink.objects.count() == 2
    assert AuditEntry.objects.for_object(b).filter(action="ticket.linked").count() == 2


def test_a_requester_cannot_link_tickets_they_do_not_work_on() -> None:
    ticket = make_ticket()
    other = make_ticket(requester=ticket.requester)
    with pytest.raises(Forbidden):
        services.link_tickets(
            actor=ticket.requester, source=ticket, target=other, link_type=LinkType.RELATED_TO
        )


# --- watchers and time -----------------------------------------------------------------------


def test_watchers_see_the_ticket_and_public_replies() -> None:
    organisation = make_organisation()
    ticket, agent = make_assigned_ticket(organisation=organisation)
    colleague = make_person(organisation=organisation)
    stranger = make_person()
    with pytest.raises(RuleViolation):
        services.add_watcher(actor=agent, ticket=ticket, person=stranger)
    assert not Ticket.objects.visible_to(colleague).filter(pk=ticket.pk).exists()
    services.add_watcher(actor=agent, ticket=ticket, person=colleague)
    assert Ticket.objects.visible_to(colleague).filter(pk=ticket.pk).exists()
    services.remove_watcher(actor=colleague, ticket=ticket, person=colleague)
    assert not Ticket.objects.visible_to(colleague).filter(pk=ticket.pk).exists()


def test_time_is_logged_by_people_who_work_the_ticket() -> None:
    ticket, agent = make_assigned_ticket()
    entry = services.log_time(actor=agent, ticket=ticket, minutes=45, billable=True)
    assert entry.person == agent and entry.minutes == 45
    with pytest.raises(RuleViolation):
        services.log_time(actor=agent, ticket=ticket, minutes=0)
    with pytest.raises(RuleViolation):
        services.log_time(
            actor=agent,
            ticket=ticket,
            minutes=10,
            spent_on=timezone.localdate() + timedelta(days=1),
        )
    with pytest.raises(Forbidden):
        services.log_time(actor=ticket.requester, ticket=ticket, minutes=10)
    assert ticket.time_entries.count() == 1
