"""Ticket notifications: who is mailed for which change, what the mail says, how it threads.

Every test sends through a real SMTP server (``smtp_server``) and reads what it received.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from steward.accounts.tests.factories import (
    make_agent,
    make_organisation,
    make_person,
    make_team,
)
from steward.core import context
from steward.core.errors import RuleViolation
from steward.incidents import services as incidents
from steward.incidents.tests.factories import make_assigned_incident
from steward.servicedesk.models.outbound import (
    NotificationEvent,
    NotificationTemplate,
    OutboundEmail,
)
from steward.servicedesk.notify import sending
from steward.servicedesk.notify import services as notify
from steward.servicedesk.tests import smtp_server as smtp
from steward.servicedesk.tests.smtp_server import Collector
from steward.tickets import services as tickets
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db
smtp_server = smtp.smtp_server  # the fixture

MESSAGE_ID = re.compile(r"<steward\.([A-Z]{3}[0-9]{7})\.[0-9a-f]+@desk\.example\.test>")


def body(mail: Any, subtype: str = "plain") -> str:
    part = mail.get_body((subtype,))
    assert part is not None
    return str(part.get_content())


def send() -> sending.SendResult:
    return sending.send_due()


def subjects(server: Collector, address: str) -> list[str]:
    return [str(m["Subject"]) for m in server.to(address)]


def test_opening_a_ticket_mails_the_requester_once(smtp_server: Collector) -> None:
    # given an agent opening an incident for a requester
    agent, requester = make_agent(), make_person()
    incident = incidents.open_incident(actor=agent, title="VPN drops", requester=requester)
    # when the queue is sent
    result = send()
    # then the requester got exactly one mail, numbered, from the desk, marked automatic
    assert result.sent == 1
    [mail] = smtp_server.to(requester.email)
    assert str(mail["Subject"]) == f"[{incident.number}] We received your request: VPN drops"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["From"] == "Service desk <desk@desk.example.test>"
    match = MESSAGE_ID.fullmatch(mail["Message-ID"])
    assert match is not None and match.group(1) == incident.number
    assert mail["In-Reply-To"] is None
    text = body(mail, "plain")
    assert f"https://steward.example.test/tickets/{incident.number}/" in text
    assert "<strong>" in body(mail, "html")
    # and the agent, who acted, got nothing
    assert smtp_server.to(agent.email) == []
    row = OutboundEmail.objects.get()
    assert (row.status, row.attempts, row.event) == ("sent", 1, "created")
    # and sending again sends nothing more
    assert send().sent == 0
    assert len(smtp_server.received) == 1


def test_the_person_who_acted_is_never_told(smtp_server: Collector) -> None:
    # given a requester opening their own ticket and replying on it
    requester = make_person()
    ticket = tickets.create_ticket(actor=requester, title="Mouse broken")
    tickets.add_comment(actor=requester, ticket=ticket, body="Still broken.")
    send()
    # then nobody was mailed (nobody works on it yet, and they acted themselves)
    assert smtp_server.received == []
    assert not OutboundEmail.objects.exists()


def test_assignment_mails_the_new_assignee_once(smtp_server: Collector) -> None:
    # given an incident assigned to one agent, reassigned by a manager to another
    incident, first = make_assigned_incident()
    second = make_agent()
    assert incident.team is not None
    incident.team.memberships.create(person=second)
    manager = make_person(roles=["incident_manager"])
    send()
    smtp_server.received.clear()
    incidents.reassign(actor=manager, incident=incident, team=incident.team, assignee=second)
    send()
    # then only the new assignee was mailed, once (the reassignment entry repeats the update)
    assert subjects(smtp_server, second.email) == [
        f"[{incident.number}] Assigned to you: {incident.title}"
    ]
    assert len(smtp_server.received) == 1


def test_assignment_to_a_team_alone_mails_its_address_or_its_lead(
    smtp_server: Collector,
) -> None:
    # given a team with a shared address, and one with only a lead
    agent = make_agent()
    shared = make_team(email="network@example.test")
    lead = make_agent()
    led = make_team(lead=lead)
    first = make_ticket()
    second = make_ticket()
    # when tickets are given to the teams with nobody assigned
    tickets.update_ticket(actor=agent, ticket=first, team=shared)
    tickets.update_ticket(actor=agent, ticket=second, team=led)
    send()
    # then the team address and the lead hear of it
    assert subjects(smtp_server, "network@example.test") == [
        f"[{first.number}] Assigned to you: {first.title}"
    ]
    assert subjects(smtp_server, lead.email) == [
        f"[{second.number}] Assigned to you: {second.title}"
    ]


def test_public_replies_reach_the_other_side_and_watchers_work_notes_nobody(
    smtp_server: Collector,
) -> None:
    # given an assigned ticket with a watcher
    ticket, agent = make_assigned_ticket_with_requester()
    watcher = make_person(organisation=ticket.requester.organisation)
    tickets.add_watcher(actor=agent, ticket=ticket, person=watcher)
    send()
    smtp_server.received.clear()
    # when the agent writes a work note, then a public reply, and the requester answers
    tickets.add_comment(actor=agent, ticket=ticket, body="Internal: **reboot** it", is_public=False)
    tickets.add_comment(actor=agent, ticket=ticket, body="Please reboot.")
    tickets.add_comment(actor=ticket.requester, ticket=ticket, body="Done, works.")
    send()
    # then the requester got the staff reply, the agent the requester's, the watcher both
    requester_mail = smtp_server.to(ticket.requester.email)
    assert [str(m["Subject"]) for m in requester_mail] == [
        f"[{ticket.number}] New reply: {ticket.title}"
    ]
    assert "Please reboot." in body(requester_mail[0], "plain")
    agent_mail = smtp_server.to(agent.email)
    assert len(agent_mail) == 1
    assert "Done, works." in body(agent_mail[0], "plain")
    assert len(smtp_server.to(watcher.email)) == 2
    # and the work note is in no mail at all
    assert not any(b"reboot** it" in r.raw or b"Internal" in r.raw for r in smtp_server.received)


def make_assigned_ticket_with_requester() -> tuple[Any, Any]:
    agent = make_agent()
    team = make_team(lead=agent)
    ticket = make_ticket(team=team, assignee=agent, organisation=make_organisation())
    return ticket, agent


def test_resolution_and_closure_mail_the_requester(smtp_server: Collector) -> None:
    # given an incident in progress
    incident, agent = make_assigned_incident()
    incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    # when it is resolved and then closed
    incidents.resolve_incident(
        actor=agent,
        incident=incident,
        resolution_code="solved_permanently",
        resolution="Replaced the *cable*.",
    )
    incidents.transition_incident(actor=agent, incident=incident, to="closed")
    send()
    # then the requester heard of the opening, the resolution and the closure, once each
    assert subjects(smtp_server, incident.requester.email) == [
        f"[{incident.number}] We received your request: {incident.title}",
        f"[{incident.number}] Resolved: {incident.title}",
        f"[{incident.number}] Closed: {incident.title}",
    ]
    resolved = smtp_server.to(incident.requester.email)[1]
    assert "Replaced the *cable*." in body(resolved, "plain")


def test_notifications_of_a_ticket_thread_on_the_first(smtp_server: Collector) -> None:
    # given four notifications about one ticket
    agent, requester = make_agent(), make_person()
    ticket = tickets.create_ticket(actor=agent, title="Printer", requester=requester)
    for n in range(3):
        tickets.add_comment(actor=agent, ticket=ticket, body=f"Update {n}")
    send()
    mails = smtp_server.to(requester.email)
    ids = [m["Message-ID"] for m in mails]
    # then the first is the root and every later one answers it, naming those before it
    assert len(set(ids)) == 4
    assert all(MESSAGE_ID.fullmatch(i) for i in ids)
    assert mails[0]["In-Reply-To"] is None and mails[0]["References"] is None
    for n, mail in enumerate(mails[1:], start=1):
        assert mail["In-Reply-To"] == ids[0]
        assert mail["References"].split() == ids[:n]
        assert str(mail["Subject"]).startswith(f"[{ticket.number}]")


def test_history_imports_mail_nobody(smtp_server: Collector) -> None:
    agent, requester = make_agent(), make_person()
    with context.acting("import"):
        ticket = tickets.create_ticket(actor=agent, title="Old", requester=requester)
        tickets.add_comment(actor=agent, ticket=ticket, body="Old reply")
    assert not OutboundEmail.objects.exists()


def test_nothing_is_queued_while_mail_is_off(smtp_server: Collector, settings: Any) -> None:
    settings.STEWARD = {**settings.STEWARD, "MAIL_ENABLED": False}
    tickets.create_ticket(actor=make_agent(), title="Quiet", requester=make_person())
    assert not OutboundEmail.objects.exists()


def test_line_breaks_in_a_title_or_a_name_never_inject_headers(smtp_server: Collector) -> None:
    # given a requester whose name and a ticket whose title try to start new header lines
    requester = make_person(full_name="Eve\r\nBcc: victim@evil.test")
    title = "Help\r\nBcc: victim@evil.test\nX-Injected: yes"
    ticket = tickets.create_ticket(actor=make_agent(), title=title, requester=requester)
    # when the notification goes out
    assert send().sent == 1
    [received] = smtp_server.received
    mail = received.message
    # then it went to the requester only, and no header was injected
    assert received.rcpt_tos == [requester.email]
    assert mail["Bcc"] is None and mail["X-Injected"] is None
    head = received.raw.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in head and b"\nX-Injected:" not in head
    assert str(mail["Subject"]) == (
        f"[{ticket.number}] We received your request: Help Bcc: victim@evil.test X-Injected: yes"
    )
    assert mail["To"].addresses[0].addr_spec == requester.email
    assert "\n" not in mail["To"].addresses[0].display_name


def test_a_kind_template_wins_and_a_switched_off_one_sends_nothing(
    smtp_server: Collector,
) -> None:
    admin = make_person(roles=["administrator"])
    notify.create_template(
        actor=admin,
        event="created",
        ticket_kind="incidents.incident",
        subject="Incident {{ number|lower }} for {{ recipient_name }}",
        body="Your incident: {{ title }} ({{ state }})",
    )
    task_template = notify.template_for("created", "tickets.ticket")
    notify.update_template(actor=admin, template=task_template, is_enabled=False)
    requester = make_person(full_name="Ada Lovelace")
    agent = make_agent()
    incident = incidents.open_incident(actor=agent, title="Disk full", requester=requester)
    tickets.create_ticket(actor=agent, title="Plain task", requester=requester)
    send()
    [mail] = smtp_server.to(requester.email)
    # the number is put in front when the template leaves the bracketed tag out
    assert str(mail["Subject"]) == (
        f"[{incident.number}] Incident {incident.number.lower()} for Ada Lovelace"
    )
    assert body(mail, "plain").strip() == "Your incident: Disk full (New)"


def test_a_template_that_does_not_compile_is_refused(smtp_server: Collector) -> None:
    admin = make_person(roles=["administrator"])
    template = notify.template_for("resolved", "tickets.ticket")
    before = (template.subject, template.body)
    for subject, body, field in (
        ("{% if %}", "fine", "subject"),
        ("fine", "{{ title|nosuchfilter }}", "body"),
        ("fine", "{% include 'base.html' %}", "body"),
        ("fine", "{% load humanize %}", "body"),
        ("fine", "{% debug %}", "body"),
    ):
        with pytest.raises(RuleViolation) as caught:
            notify.update_template(actor=admin, template=template, subject=subject, body=body)
        assert field in caught.value.message_dict, (subject, body)
    template.refresh_from_db()
    assert (template.subject, template.body) == before


def test_templates_cannot_reach_model_methods(smtp_server: Collector) -> None:
    # the context is plain text: nothing a template names can run code or reach records
    context = notify.ticket_context(
        make_ticket(), recipient=notify.Recipient("A", "a@example.test"), actor_name="B"
    )
    assert all(isinstance(value, str) for value in context.values())
    assert NotificationTemplate.objects.count() == len(NotificationEvent.choices)


def test_the_resolution_mail_carries_one_click_ratings_for_the_requester(
    smtp_server: Collector,
) -> None:
    from urllib.parse import urlsplit

    from django.test import Client

    from steward.servicedesk.models.satisfaction import SatisfactionRating

    # given an incident with a watcher, resolved by its agent
    incident, agent = make_assigned_incident()
    watcher = make_agent()
    tickets.add_watcher(actor=agent, ticket=incident, person=watcher)
    incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    incidents.resolve_incident(
        actor=agent, incident=incident, resolution_code="solved_permanently", resolution="Done."
    )
    send()
    # then the requester's resolution mail holds five rating links; the watcher's holds none
    resolved = smtp_server.to(incident.requester.email)[-1]
    links = re.findall(
        r"https://steward\.example\.test(/portal/rate/[^)\s]+/[1-5]/)", body(resolved)
    )
    assert len(links) == 5
    watched = [m for m in smtp_server.to(watcher.email) if "Resolved" in str(m["Subject"])]
    assert watched and "/portal/rate/" not in body(watched[0])
    # and following the fourth link, not signed in, records a 4 for the requester
    answer = Client().get(urlsplit(links[3]).path)
    assert answer.status_code == 200
    rating = SatisfactionRating.objects.get(ticket_id=incident.pk)
    assert (rating.score, rating.rated_by_id) == (4, incident.requester_id)


def test_text_is_written_when_sent_from_what_the_event_was(smtp_server: Collector) -> None:
    # given an incident resolved and then at once closed, before anything was sent
    incident, agent = make_assigned_incident()
    incidents.transition_incident(actor=agent, incident=incident, to="in_progress")
    incidents.resolve_incident(
        actor=agent, incident=incident, resolution_code="solved_permanently", resolution="Done."
    )
    incidents.transition_incident(actor=agent, incident=incident, to="closed")
    # then the business transactions only queued rows: no text rendered yet
    queued = OutboundEmail.objects.filter(ticket_id=incident.pk)
    assert queued.exists() and not queued.exclude(rendered_at=None).exists()
    assert set(queued.values_list("subject", flat=True)) == {""}
    # when they are sent
    send()
    # then each says what its event was, not what the ticket is by now
    mails = {
        str(m["Subject"]).split("] ")[1].split(":")[0]: m
        for m in smtp_server.to(incident.requester.email)
    }
    assert "/portal/rate/" in body(mails["Resolved"])
    assert "is now closed" in body(mails["Closed"])
    resolved = queued.get(event="resolved", recipient=incident.requester)
    assert (resolved.state, resolved.actor_name) == ("resolved", agent.full_name)
    assert resolved.rendered_at is not None and resolved.subject.startswith(f"[{incident.number}]")
