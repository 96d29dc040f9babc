"""Fetching from a real IMAP server (a private Dovecot started by the test)."""

from __future__ import annotations

import threading

import pytest
from django.core.management import call_command
from django.db import connection

from steward.accounts.tests.factories import make_person
from steward.incidents.models import Incident
from steward.servicedesk import imap, inbound_tasks
from steward.servicedesk.models.inbound import InboundMessage, Mailbox
from steward.servicedesk.tests.imap_server import ImapServer
from steward.servicedesk.tests.inbound_factories import make_mailbox, make_raw, ticket_of
from steward.tickets.models import Comment


def _mailbox(server: ImapServer, **overrides: object) -> Mailbox:
    values: dict[str, object] = {
        "host": server.host,
        "port": server.port,
        "tls": "none",
        "username": server.user,
        "password": server.password,
    }
    values.update(overrides)
    return make_mailbox(**values)


@pytest.mark.django_db
def test_fetch_opens_incidents_threads_replies_and_flags_seen(imap_server: ImapServer) -> None:
    # given two new messages and a quarantinable auto-reply in the IMAP inbox
    make_person(email="alice@customer.example")
    mailbox = _mailbox(imap_server)
    imap_server.append(make_raw(message_id="<a1@customer.example>", subject="Laptop broken"))
    imap_server.append(make_raw(message_id="<a2@customer.example>", subject="Mouse broken"))
    imap_server.append(make_raw(headers={"Auto-Submitted": "auto-replied"}))
    # when Steward fetches
    result = imap.fetch_mailbox(mailbox)
    # then two incidents, one quarantined message, all flagged seen on the server
    assert (result.fetched, result.processed, result.quarantined, result.error) == (3, 2, 1, "")
    assert set(Incident.objects.values_list("title", flat=True)) == {
        "Laptop broken",
        "Mouse broken",
    }
    assert all(b"\\Seen" in flags for flags in imap_server.flags())
    mailbox.refresh_from_db()
    assert mailbox.last_polled_at is not None and mailbox.last_error == ""
    # and a reply fetched later threads onto its incident
    incident = Incident.objects.get(title="Laptop broken")
    imap_server.append(
        make_raw(subject="Re: Laptop", headers={"In-Reply-To": "<a1@customer.example>"})
    )
    again = imap.fetch_mailbox(mailbox)
    assert (again.fetched, again.processed) == (1, 1)
    assert Comment.objects.filter(ticket=incident).count() == 1
    # a third poll finds nothing new
    assert imap.fetch_mailbox(mailbox).fetched == 0


@pytest.mark.django_db
def test_fetch_moves_read_mail_to_the_processed_folder(imap_server: ImapServer) -> None:
    make_person(email="alice@customer.example")
    mailbox = _mailbox(imap_server, processed_folder="Processed")
    imap_server.append(make_raw())
    result = imap.fetch_mailbox(mailbox)
    assert result.processed == 1
    assert (imap_server.count("INBOX"), imap_server.count("Processed")) == (0, 1)


@pytest.mark.django_db
def test_a_message_seen_before_is_not_processed_again(imap_server: ImapServer) -> None:
    # given a message already ingested (a crash before flagging it seen)
    make_person(email="alice@customer.example")
    mailbox = _mailbox(imap_server)
    raw = make_raw(message_id="<crash@customer.example>")
    imap.inbound.ingest(mailbox=mailbox, raw=raw)
    imap_server.append(raw)
    # when it is fetched again
    result = imap.fetch_mailbox(mailbox)
    # then it is recognised, flagged seen, and no second incident exists
    assert (result.fetched, result.duplicates) == (1, 1)
    assert Incident.objects.count() == 1
    assert all(b"\\Seen" in flags for flags in imap_server.flags())


@pytest.mark.django_db
def test_login_failure_is_recorded_on_the_mailbox_and_retried(imap_server: ImapServer) -> None:
    mailbox = _mailbox(imap_server, password="wrong-password")
    imap_server.append(make_raw())
    result = imap.fetch_mailbox(mailbox)
    assert result.error and result.fetched == 0
    mailbox.refresh_from_db()
    assert "AUTHENTICATIONFAILED" in mailbox.last_error or "failed" in mailbox.last_error.lower()
    assert mailbox.last_error_at is not None
    assert InboundMessage.objects.count() == 0
    # fixed, the next poll reads the message and clears the error
    make_person(email="alice@customer.example")
    Mailbox.objects.filter(pk=mailbox.pk).update(password=imap_server.password)
    mailbox.refresh_from_db()
    assert imap.fetch_mailbox(mailbox).processed == 1
    mailbox.refresh_from_db()
    assert mailbox.last_error == ""


@pytest.mark.django_db
def test_unreachable_server_is_recorded() -> None:
    mailbox = make_mailbox(host="127.0.0.1", port=1)
    result = imap.fetch_mailbox(mailbox)
    assert "ConnectionRefused" in result.error
    mailbox.refresh_from_db()
    assert "ConnectionRefused" in mailbox.last_error


@pytest.mark.django_db
def test_connection_check(imap_server: ImapServer) -> None:
    imap_server.append(make_raw())
    assert imap.check_connection(_mailbox(imap_server)) == "Connected: 1 messages in INBOX."


@pytest.mark.django_db
def test_periodic_task_polls_enabled_mailboxes_only(imap_server: ImapServer) -> None:
    make_person(email="alice@customer.example")
    _mailbox(imap_server)
    _mailbox(imap_server, is_enabled=False, port=1)  # would fail if polled
    imap_server.append(make_raw())
    assert inbound_tasks.poll_mailboxes.call() == 1
    assert Mailbox.objects.filter(last_error="", last_polled_at__isnull=False).count() == 1


@pytest.mark.django_db
def test_cli_fetch(imap_server: ImapServer, capsys: pytest.CaptureFixture[str]) -> None:
    make_person(email="alice@customer.example")
    mailbox = _mailbox(imap_server)
    imap_server.append(make_raw())
    call_command("mail", "fetch", "--mailbox", mailbox.name)
    out = capsys.readouterr().out
    assert f"{mailbox.name}: 1 fetched, 1 processed, 0 quarantined" in out


def test_two_workers_fetching_at_once_open_one_ticket_each(
    shared_database: None, imap_server: ImapServer
) -> None:
    # given ten new messages and two workers polling the same mailbox at the same moment
    make_person(email="alice@customer.example")
    mailbox = _mailbox(imap_server)
    for n in range(10):
        imap_server.append(make_raw(message_id=f"<race{n}@customer.example>", subject=f"Race {n}"))
    barrier = threading.Barrier(2)
    results: list[imap.FetchResult] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            results.append(imap.fetch_mailbox(Mailbox.objects.get(pk=mailbox.pk)))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    # then each message became exactly one incident and one row
    assert not errors, errors
    assert all(not result.error for result in results), results
    assert Incident.objects.count() == 10
    assert InboundMessage.objects.count() == 10
    assert sum(result.processed for result in results) == 10
    assert sum(result.fetched for result in results) == 10 + sum(r.duplicates for r in results)


# --- the LMTP alternative ---------------------------------------------------------------------


def test_lmtp_delivery_is_ingested(shared_database: None) -> None:
    import smtplib

    from steward.servicedesk import lmtp
    from steward.servicedesk.tests.imap_server import _free_port

    # given a mailbox and the LMTP listener
    make_person(email="alice@customer.example")
    mailbox = make_mailbox(address="help@steward.example")
    port = _free_port()
    server = lmtp.controller(host="127.0.0.1", port=port)
    server.start()
    try:
        client = smtplib.LMTP("127.0.0.1", port, timeout=30)
        # when the mail server delivers one message to the mailbox's address
        refused = client.sendmail(
            "alice@customer.example",
            ["help@steward.example"],
            make_raw(message_id="<lmtp1@customer.example>", subject="Over LMTP"),
        )
        # then it is stored and becomes an incident of that mailbox
        assert refused == {}
        # an unknown recipient is refused, and a second recipient must come separately
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("alice@customer.example", ["nobody@steward.example"], b"x")
        partly = client.sendmail(
            "alice@customer.example",
            ["help@steward.example", "help@steward.example"],
            make_raw(message_id="<lmtp2@customer.example>"),
        )
        assert list(partly.values())[0][0] == 452
        client.quit()
    finally:
        server.stop()
    row = InboundMessage.objects.get(message_id="<lmtp1@customer.example>")
    assert (row.mailbox_id, row.status) == (mailbox.pk, "processed")
    assert Incident.objects.get(pk=ticket_of(row)).title == "Over LMTP"
    assert InboundMessage.objects.filter(message_id="<lmtp2@customer.example>").exists()
