"""E-mail in: a message becomes an incident, a comment, or a quarantine entry, exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person, make_team
from steward.core import markdown
from steward.core.errors import RuleViolation
from steward.core.models import AuditEntry
from steward.incidents.models import Incident
from steward.incidents.tests.factories import make_category, make_incident
from steward.incidents.tests.test_services import resolved
from steward.servicedesk import inbound
from steward.servicedesk.models.inbound import InboundMessage
from steward.servicedesk.tests.inbound_factories import (
    comment_of,
    make_mailbox,
    make_raw,
    ticket_of,
)
from steward.tickets.models import Attachment, Comment, Ticket
from steward.tickets.tests.factories import make_ticket

pytestmark = pytest.mark.django_db

REPLY_WITH_HISTORY = """Thanks, it works again.

On Tue, 2 Jan 2024 at 09:15, Service Desk <desk@steward.example> wrote:
> Please restart the printer.
"""


def _requester() -> Person:
    return make_person(email="alice@customer.example", full_name="Alice Example")


# --- new messages -----------------------------------------------------------------------------


def test_new_mail_opens_an_incident_with_the_trimmed_body_and_attachments() -> None:
    # given a mailbox with a team and category, and a known requester
    team, category = make_team(), make_category()
    mailbox = make_mailbox(default_team=team, default_category=category)
    alice = _requester()
    raw = make_raw(
        subject="VPN drops every hour",
        body="The VPN drops every hour.\n\n-- \nAlice Example\nCustomer Ltd",
        attachments=[("vpn.log", "text/plain", b"12:00 disconnected\n")],
    )
    # when it arrives
    message = inbound.ingest(mailbox=mailbox, raw=raw)
    # then an incident is open for her, by e-mail, routed to the mailbox's team and category
    assert (message.status, message.reason) == ("processed", "")
    incident = Incident.objects.get(pk=ticket_of(message))
    assert incident.requester == alice
    assert (incident.title, incident.contact_type) == ("VPN drops every hour", "email")
    assert (incident.team, incident.category) == (team, category)
    assert incident.description == "The VPN drops every hour."
    attachment = Attachment.objects.get(ticket=incident)
    assert (attachment.filename, attachment.uploaded_by) == ("vpn.log", alice)
    assert attachment.file.read() == b"12:00 disconnected\n"
    # and the raw message is kept, the intake audited
    assert message.raw_bytes() == raw
    assert AuditEntry.objects.filter(action="inbound_message.processed").count() == 1


def test_same_message_twice_is_one_ticket() -> None:
    mailbox, _ = make_mailbox(), _requester()
    raw = make_raw(message_id="<twice@customer.example>")
    first = inbound.ingest(mailbox=mailbox, raw=raw)
    second, created = inbound.receive(mailbox=mailbox, raw=raw)
    assert second.pk == first.pk and not created
    assert Incident.objects.count() == 1
    assert InboundMessage.objects.count() == 1


def test_message_without_id_is_deduplicated_by_its_bytes() -> None:
    mailbox, _ = make_mailbox(), _requester()
    raw = b"From: alice@customer.example\r\nSubject: No id\r\n\r\nHello\r\n"
    first = inbound.ingest(mailbox=mailbox, raw=raw)
    assert first.message_id.startswith("sha256:")
    assert inbound.ingest(mailbox=mailbox, raw=raw).pk == first.pk
    assert Incident.objects.count() == 1


def test_unknown_sender_becomes_a_requester_when_the_mailbox_says_so() -> None:
    mailbox = make_mailbox(unknown_sender="create")
    message = inbound.ingest(mailbox=mailbox, raw=make_raw(sender="Bob New <bob@new.example>"))
    bob = Person.objects.get(email="bob@new.example")
    assert bob.full_name == "Bob New" and not bob.has_usable_password()
    assert [r.code for r in bob.roles.all()] == ["requester"]
    assert Ticket.objects.get(pk=ticket_of(message)).requester == bob


def test_unknown_sender_is_quarantined_when_the_mailbox_rejects() -> None:
    mailbox = make_mailbox(unknown_sender="reject")
    message = inbound.ingest(mailbox=mailbox, raw=make_raw(sender="eve@nowhere.example"))
    assert (message.status, message.reason) == ("quarantined", "unknown_sender")
    assert message.ticket is None and Ticket.objects.count() == 0
    assert not Person.objects.filter(email="eve@nowhere.example").exists()


def test_html_mail_with_script_becomes_text_and_markup_in_mail_stays_text() -> None:
    mailbox, _ = make_mailbox(), _requester()
    html = (
        "<p>Hello <b>desk</b></p><script>EVILSCRIPT()</script>"
        '<a href="javascript:EVILSCRIPT()">click</a><img src=x onerror=EVILSCRIPT()>'
    )
    message = inbound.ingest(mailbox=mailbox, raw=make_raw(html=html))
    incident = Ticket.objects.get(pk=ticket_of(message))
    rendered = markdown.render(incident.description)
    assert "EVILSCRIPT" not in incident.description
    assert "<script" not in rendered and "javascript:" not in rendered
    # plain text that looks like markup is shown as written, never made markup
    plain = "Try <script>alert(1)</script> and [x](javascript:alert(1)) *now*"
    other = inbound.ingest(mailbox=mailbox, raw=make_raw(body=plain))
    stored = Ticket.objects.get(pk=ticket_of(other)).description
    markdown.validate(stored)
    shown = markdown.render(stored)
    assert "<script" not in shown and 'href="javascript' not in shown
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in shown and "*now*" in shown


def test_refused_attachment_keeps_the_ticket_and_says_so() -> None:
    mailbox, _ = make_mailbox(), _requester()
    program = b"MZ\x90\x00" + b"\x00" * 200
    raw = make_raw(
        attachments=[
            ("tool.exe", "application/octet-stream", program),
            ("notes.txt", "text/plain", b"fine\n"),
        ]
    )
    message = inbound.ingest(mailbox=mailbox, raw=raw)
    assert message.status == "processed"
    incident = Ticket.objects.get(pk=ticket_of(message))
    assert list(Attachment.objects.filter(ticket=incident).values_list("filename", flat=True)) == [
        "notes.txt"
    ]
    assert "Attachment not kept: tool.exe" in incident.description
    assert "tool.exe" in message.detail


# --- replies ----------------------------------------------------------------------------------


def _open(mailbox_kwargs: dict[str, object] | None = None) -> tuple[InboundMessage, Incident]:
    mailbox = make_mailbox(**(mailbox_kwargs or {}))
    _requester()
    first = inbound.ingest(mailbox=mailbox, raw=make_raw(message_id="<first@customer.example>"))
    return first, Incident.objects.get(pk=ticket_of(first))


@pytest.mark.parametrize(
    "headers",
    [
        {"subject": "Re: [{number}] Printer on floor 3 is broken"},
        {"subject": "Re: Printer {number} still broken"},
        {"In-Reply-To": "<steward.{number}.9f3a0c1d2e@steward.example>"},
        {"References": "<other@x.example> <{number}.1704182400.abcdef0123@steward.example>"},
        {"In-Reply-To": "<first@customer.example>"},
    ],
    ids=["subject-tag", "subject-bare", "steward-id", "references", "earlier-inbound-id"],
)
def test_reply_threads_onto_its_ticket_as_a_public_comment(headers: dict[str, str]) -> None:
    # given an incident opened by e-mail
    first, incident = _open()
    values = {k: v.format(number=incident.number) for k, v in headers.items()}
    subject = values.pop("subject", "Re: something else entirely")
    # when the requester answers
    raw = make_raw(subject=subject, body=REPLY_WITH_HISTORY, headers=values)
    reply = inbound.ingest(mailbox=first.mailbox, raw=raw)
    # then it is a public comment from her, without the quoted history; no new ticket
    assert reply.status == "processed" and reply.ticket_id == incident.pk
    comment = Comment.objects.get(pk=comment_of(reply))
    assert (comment.author, comment.is_public) == (incident.requester, True)
    assert comment.body == "Thanks, it works again."
    assert Ticket.objects.count() == 1


def test_reply_attachment_goes_with_the_comment() -> None:
    first, incident = _open()
    raw = make_raw(
        subject=f"Re: [{incident.number}]", attachments=[("shot.txt", "text/plain", b"x\n")]
    )
    reply = inbound.ingest(mailbox=first.mailbox, raw=raw)
    attachment = Attachment.objects.get(ticket=incident)
    assert attachment.comment_id == reply.comment_id and attachment.is_public


def test_reply_to_a_resolved_incident_reopens_it() -> None:
    first, incident = _open()
    agent = make_agent()
    Incident.objects.filter(pk=incident.pk).update(assignee=agent, team=make_team(members=[agent]))
    incident = resolved(Incident.objects.get(pk=incident.pk))
    assert incident.state == "resolved"
    raw = make_raw(subject=f"Re: [{incident.number}] fixed?", body="No, it is broken again.")
    inbound.ingest(mailbox=first.mailbox, raw=raw)
    incident = Incident.objects.get(pk=incident.pk)
    assert incident.state == "in_progress" and incident.reopen_count == 1


def test_reply_on_a_ticket_of_another_kind_is_a_comment() -> None:
    mailbox, alice = make_mailbox(), _requester()
    ticket = make_ticket(requester=alice)
    reply = inbound.ingest(mailbox=mailbox, raw=make_raw(subject=f"Re: [{ticket.number}]"))
    assert reply.ticket_id == ticket.pk
    assert Comment.objects.get(pk=comment_of(reply)).author == alice


def test_staff_reply_by_mail_is_a_public_comment() -> None:
    first, incident = _open()
    agent = make_agent(email="agent@steward.example")
    raw = make_raw(sender="agent@steward.example", subject=f"Re: [{incident.number}]")
    reply = inbound.ingest(mailbox=first.mailbox, raw=raw)
    assert Comment.objects.get(pk=comment_of(reply)).author == agent


def test_reply_from_someone_else_is_quarantined_and_changes_nothing() -> None:
    first, incident = _open()
    make_person(email="mallory@other.example")
    raw = make_raw(sender="mallory@other.example", subject=f"Re: [{incident.number}] mine now")
    reply = inbound.ingest(mailbox=first.mailbox, raw=raw)
    assert (reply.status, reply.reason) == ("quarantined", "reply_forbidden")
    assert "may not reply" in reply.detail
    assert not Comment.objects.filter(ticket=incident).exists()


def test_reply_from_unknown_address_is_quarantined_even_when_mailbox_creates() -> None:
    first, incident = _open({"unknown_sender": "create"})
    raw = make_raw(sender="stranger@else.example", subject=f"Re: [{incident.number}]")
    reply = inbound.ingest(mailbox=first.mailbox, raw=raw)
    assert reply.reason == "reply_forbidden"
    assert not Person.objects.filter(email="stranger@else.example").exists()


# --- loops and limits -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "sender", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "alice@customer.example", "auto_reply"),
        ({"Auto-Submitted": "auto-generated"}, "alice@customer.example", "auto_reply"),
        ({"X-Autoreply": "yes"}, "alice@customer.example", "auto_reply"),
        ({}, "mailer-daemon@customer.example", "bounce"),
    ],
)
def test_auto_replies_and_bounces_never_touch_tickets(
    headers: dict[str, str], sender: str, reason: str
) -> None:
    first, incident = _open()
    raw = make_raw(sender=sender, subject=f"Re: [{incident.number}] Out of office", headers=headers)
    message = inbound.ingest(mailbox=first.mailbox, raw=raw)
    assert (message.status, message.reason) == ("quarantined", reason)
    assert not Comment.objects.filter(ticket=incident).exists()
    assert Ticket.objects.count() == 1


def test_auto_submitted_no_is_a_person() -> None:
    mailbox, _ = make_mailbox(), _requester()
    message = inbound.ingest(mailbox=mailbox, raw=make_raw(headers={"Auto-Submitted": "no"}))
    assert message.status == "processed"


@override_settings(STEWARD={"MAIL_IN_RATE_LIMIT": 3, "MAIL_IN_RATE_WINDOW_MINUTES": 10})
def test_sender_over_the_rate_limit_is_quarantined() -> None:
    mailbox, _ = make_mailbox(), _requester()
    outcomes = [inbound.ingest(mailbox=mailbox, raw=make_raw()).status for _ in range(5)]
    assert outcomes == ["processed"] * 3 + ["quarantined"] * 2
    held = InboundMessage.objects.filter(status="quarantined")
    assert set(held.values_list("reason", flat=True)) == {"rate_limited"}
    assert Ticket.objects.count() == 3
    # another sender is not limited by hers
    make_person(email="bob@customer.example")
    other = inbound.ingest(mailbox=mailbox, raw=make_raw(sender="bob@customer.example"))
    assert other.status == "processed"


@override_settings(STEWARD={"MAIL_IN_INTERNAL_DOMAINS": ["steward.example"]})
def test_unauthenticated_internal_sender_is_quarantined() -> None:
    first, incident = _open()
    make_agent(email="boss@steward.example")
    raw = make_raw(sender="boss@steward.example", subject=f"Re: [{incident.number}]")
    message = inbound.ingest(mailbox=first.mailbox, raw=raw)
    assert (message.status, message.reason) == ("quarantined", "suspicious")
    assert not Comment.objects.filter(ticket=incident).exists()


def test_unreadable_message_is_quarantined_with_the_parser_reason() -> None:
    mailbox = make_mailbox()
    message = inbound.ingest(mailbox=mailbox, raw=b"Subject: no sender\r\n\r\nHello\r\n")
    assert (message.status, message.reason) == ("quarantined", "no_sender")
    assert message.raw_bytes().startswith(b"Subject: no sender")


def test_a_refusing_service_quarantines_with_its_reason() -> None:
    # given a mailbox routing to a team that was deactivated since
    team = make_team()
    mailbox = make_mailbox(default_team=team)
    team.is_active = False
    team.save(update_fields=["is_active"])
    _requester()
    message = inbound.ingest(mailbox=mailbox, raw=make_raw())
    assert (message.status, message.reason) == ("quarantined", "refused")
    assert "not active" in message.detail
    assert Ticket.objects.count() == 0


# --- quarantine review ------------------------------------------------------------------------


def test_release_opens_the_incident_and_is_audited() -> None:
    mailbox, _ = make_mailbox(), _requester()
    held = inbound.ingest(mailbox=mailbox, raw=make_raw(headers={"Auto-Submitted": "auto-replied"}))
    agent = make_agent()
    done = inbound.release_message(actor=agent, message=held)
    assert (done.status, done.reviewed_by) == ("released", agent)
    assert Incident.objects.filter(pk=ticket_of(done)).exists()
    entry = AuditEntry.objects.get(action="inbound_message.released")
    assert entry.actor == agent


def test_release_of_unknown_sender_can_create_the_requester() -> None:
    mailbox = make_mailbox(unknown_sender="reject")
    held = inbound.ingest(mailbox=mailbox, raw=make_raw(sender="new@customer.example"))
    agent = make_agent()
    with pytest.raises(RuleViolation):
        inbound.release_message(actor=agent, message=held)
    held.refresh_from_db()
    assert held.status == "quarantined" and held.reviewed_by is None
    done = inbound.release_message(actor=agent, message=held, create_requester=True)
    assert Ticket.objects.get(pk=ticket_of(done)).requester.email == "new@customer.example"


def test_release_onto_a_chosen_ticket_from_an_outsider_is_a_work_note() -> None:
    first, incident = _open()
    make_person(email="vendor@partner.example")
    raw = make_raw(
        sender="vendor@partner.example", subject=f"[{incident.number}] Part", body="Part sent."
    )
    held = inbound.ingest(mailbox=first.mailbox, raw=raw)
    assert held.reason == "reply_forbidden"
    agent = make_agent()
    done = inbound.release_message(actor=agent, message=held, ticket=incident)
    note = Comment.objects.get(pk=comment_of(done))
    assert (note.author, note.is_public) == (agent, False)
    assert note.body.startswith("E-mail from vendor@partner.example:")


def test_unreadable_message_cannot_be_released_but_can_be_discarded() -> None:
    held = inbound.ingest(mailbox=make_mailbox(), raw=b"garbage without headers")
    agent = make_agent()
    with pytest.raises(RuleViolation, match="cannot be read"):
        inbound.release_message(actor=agent, message=held)
    with pytest.raises(RuleViolation):
        inbound.discard_message(actor=agent, message=held, note="  ")
    done = inbound.discard_message(actor=agent, message=held, note="Spam.")
    assert (done.status, done.review_note) == ("discarded", "Spam.")
    assert done.raw_bytes() == b"garbage without headers"
    assert AuditEntry.objects.filter(action="inbound_message.discarded").exists()
    with pytest.raises(RuleViolation):
        inbound.release_message(actor=agent, message=done)


def test_requester_may_not_release_or_discard() -> None:
    from steward.core.errors import NotFound

    held = inbound.ingest(mailbox=make_mailbox(), raw=b"garbage")
    requester = make_person()
    with pytest.raises(NotFound):
        inbound.discard_message(actor=requester, message=held, note="mine")
    held.refresh_from_db()
    assert held.status == "quarantined"


# --- mailboxes --------------------------------------------------------------------------------


def test_mailbox_password_is_kept_when_an_update_leaves_it_empty() -> None:
    mailbox = make_mailbox(password="first-password")
    inbound.update_mailbox(actor=None, mailbox=mailbox, password="", folder="Support")
    mailbox.refresh_from_db()
    assert (mailbox.password, mailbox.folder) == ("first-password", "Support")
    inbound.update_mailbox(actor=None, mailbox=mailbox, password="second-password")
    mailbox.refresh_from_db()
    assert mailbox.password == "second-password"
    changes = [e.changes for e in AuditEntry.objects.filter(action="mailbox.updated")]
    assert all("second-password" not in str(c) for c in changes)


def test_incident_opened_elsewhere_is_not_touched_by_unrelated_mail() -> None:
    incident = make_incident()
    mailbox, _ = make_mailbox(), _requester()
    inbound.ingest(mailbox=mailbox, raw=make_raw(subject="Re: INC9999999 unknown number"))
    assert not Comment.objects.filter(ticket=incident).exists()
    assert Ticket.objects.count() == 2


# --- command line -----------------------------------------------------------------------------


def test_cli_ingest_reads_an_eml_and_prints_the_outcome(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    mailbox, _ = make_mailbox(), _requester()
    eml = tmp_path / "one.eml"
    eml.write_bytes(make_raw(message_id="<cli@customer.example>"))
    call_command("mail", "ingest", str(eml), "--mailbox", mailbox.name)
    number = Ticket.objects.get().number
    assert capsys.readouterr().out.strip().endswith(f"processed ticket={number}")
    call_command("mail", "ingest", str(eml), "--mailbox", mailbox.name)
    assert "(already received)" in capsys.readouterr().out
    with pytest.raises(CommandError, match="no mailbox named"):
        call_command("mail", "ingest", str(eml), "--mailbox", "nope")
