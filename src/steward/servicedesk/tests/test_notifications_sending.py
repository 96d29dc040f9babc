"""Sending notifications: after commit only, retried on SMTP errors, never twice.

These tests commit for real (``shared_database``/transactional), run the real task worker
where a task is involved, and talk to a real SMTP server (``smtp_server``).
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from steward.accounts.tests.factories import make_agent, make_person
from steward.core.models import AuditEntry
from steward.servicedesk.models.outbound import OutboundEmail, OutboundStatus
from steward.servicedesk.notify import sending, tasks
from steward.servicedesk.notify import services as notify
from steward.servicedesk.tests import smtp_server as smtp
from steward.servicedesk.tests.smtp_server import Collector
from steward.tickets import services as tickets

smtp_server = smtp.smtp_server  # the fixture


def run_worker() -> None:
    """Run every enqueued task once, as ``steward worker`` would."""
    Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    ).run()


def due_now() -> None:
    """Let the back-off pass (as if the clock had moved on)."""
    OutboundEmail.objects.filter(status=OutboundStatus.QUEUED).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_before_commit_and_the_task_sends_after(smtp_server: Collector) -> None:
    agent, requester = make_agent(), make_person()
    # when a ticket is opened inside a transaction
    with transaction.atomic():
        ticket = tickets.create_ticket(actor=agent, title="Laptop", requester=requester)
        # then, before commit, the mail is queued but no task and no SMTP traffic exist yet
        assert OutboundEmail.objects.filter(status="queued").count() == 1
        assert not DBTaskResult.objects.filter(task_path=tasks.send_outbound_emails.module_path)
    assert smtp_server.received == []
    # after commit the task is enqueued; the worker sends it
    assert DBTaskResult.objects.filter(task_path=tasks.send_outbound_emails.module_path).count()
    run_worker()
    assert [str(m["Subject"]) for m in smtp_server.to(requester.email)] == [
        f"[{ticket.number}] We received your request: Laptop"
    ]
    assert OutboundEmail.objects.get().status == "sent"
    assert AuditEntry.objects.filter(action="outbound_email.sent").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_mails_nobody(smtp_server: Collector) -> None:
    agent, requester = make_agent(), make_person()
    with pytest.raises(RuntimeError), transaction.atomic():
        tickets.create_ticket(actor=agent, title="Never", requester=requester)
        raise RuntimeError("the request failed after the change")
    run_worker()
    sending.send_due()
    assert not OutboundEmail.objects.exists()
    assert smtp_server.received == []


@pytest.mark.django_db
def test_a_refusing_server_gets_a_retry_with_back_off_then_the_mail_goes_once(
    smtp_server: Collector,
) -> None:
    # given a server that answers the first delivery with a temporary failure
    smtp_server.refuse.append("451 4.3.0 Mailbox busy, try later")
    requester = make_person()
    tickets.create_ticket(actor=make_agent(), title="Retry me", requester=requester)
    # when the sender runs
    first = sending.send_due()
    # then nothing arrived, and the row waits for a later attempt
    assert (first.sent, first.retrying, first.failed) == (0, 1, 0)
    row = OutboundEmail.objects.get()
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error.startswith("451")
    assert row.next_attempt_at > timezone.now() + timedelta(seconds=50)
    # and running again before the back-off passed sends nothing
    assert sending.send_due().sent == 0
    # when the back-off has passed
    due_now()
    second = sending.send_due()
    # then it went out once, and never again
    assert second.sent == 1
    assert len(smtp_server.to(requester.email)) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, "")
    due_now()
    assert sending.send_due().sent == 0
    assert len(smtp_server.received) == 1


@pytest.mark.django_db
def test_after_the_last_attempt_it_fails_and_an_administrator_sends_it_again(
    smtp_server: Collector,
) -> None:
    # given a server refusing permanently (three attempts allowed in the tests)
    smtp_server.refuse.extend(["554 5.7.1 Rejected"] * 3)
    requester = make_person()
    tickets.create_ticket(actor=make_agent(), title="Doomed", requester=requester)
    for _ in range(3):
        due_now()
        sending.send_due()
    row = OutboundEmail.objects.get()
    assert (row.status, row.attempts) == ("failed", 3)
    assert AuditEntry.objects.filter(action="outbound_email.failed").count() == 1
    # when an administrator sends it again once the server accepts
    admin = make_person(roles=["administrator"])
    notify.send_again(actor=admin, email=row)
    assert sending.send_due().sent == 1
    # then it arrived once, and the decision is in the audit log
    assert len(smtp_server.to(requester.email)) == 1
    entry = AuditEntry.objects.get(action="outbound_email.requeued")
    assert entry.actor_id == admin.pk
    assert entry.changes["status"] == ["failed", "queued"]


@pytest.mark.django_db
def test_a_row_left_in_sending_is_never_resent_by_itself(smtp_server: Collector) -> None:
    # given a notification whose worker died after claiming it (maybe after sending it)
    tickets.create_ticket(actor=make_agent(), title="Crash", requester=make_person())
    [pk] = sending.claim()
    OutboundEmail.objects.filter(pk=pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    # when senders run again
    due_now()
    assert sending.send_due().sent == 0
    # then nothing was sent; the row is shown as stuck for a person to decide
    assert smtp_server.received == []
    row = OutboundEmail.objects.get()
    assert row.status == "sending" and row.is_stuck()
    assert list(OutboundEmail.objects.stuck()) == [row]
    # and a fresh claim (a worker busy right now) cannot be sent again by hand
    OutboundEmail.objects.filter(pk=pk).update(claimed_at=timezone.now())
    with pytest.raises(Exception, match="stuck"):
        notify.send_again(actor=None, email=row)


@pytest.mark.django_db
def test_an_unreachable_server_leaves_the_mail_queued(smtp_server: Collector, settings) -> None:
    settings.EMAIL_PORT = smtp.free_port()  # nobody listens there
    tickets.create_ticket(actor=make_agent(), title="Offline", requester=make_person())
    result = sending.send_due()
    assert (result.sent, result.retrying) == (0, 1)
    row = OutboundEmail.objects.get()
    assert row.status == "queued" and "cannot reach the mail server" in row.last_error


def run_in_threads(targets: list[Callable[[], None]]) -> None:
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrapped(target: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=30)
            target()
        except BaseException as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=wrapped, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not any(thread.is_alive() for thread in threads)
    if errors:
        raise errors[0]


def test_two_workers_sending_at_once_send_each_mail_once(
    shared_database: None, smtp_server: Collector
) -> None:
    # given twelve queued notifications
    agent = make_agent()
    people = [make_person() for _ in range(12)]
    for person in people:
        tickets.create_ticket(actor=agent, title="Parallel", requester=person)
    assert OutboundEmail.objects.filter(status="queued").count() == 12
    results: list[sending.SendResult] = []
    lock = threading.Lock()

    def worker() -> None:
        result = sending.send_due()
        with lock:
            results.append(result)

    # when two workers (each with its own database connection) send at the same moment
    run_in_threads([worker, worker])
    # then every notification arrived exactly once
    assert sum(r.sent for r in results) == 12
    assert sorted(rcpt for r in smtp_server.received for rcpt in r.rcpt_tos) == sorted(
        p.email for p in people
    )
    assert set(OutboundEmail.objects.values_list("status", flat=True)) == {"sent"}
    assert set(OutboundEmail.objects.values_list("attempts", flat=True)) == {1}


@pytest.mark.django_db
def test_the_sweep_sends_rows_whose_enqueue_was_lost(smtp_server: Collector) -> None:
    # given a queued notification no task was enqueued for (on_commit does not run here)
    requester = make_person()
    tickets.create_ticket(actor=make_agent(), title="Lost", requester=requester)
    # when the periodic sweep runs
    sent = tasks.send_due_outbound_emails.call()
    # then it went out
    assert sent == 1
    assert len(smtp_server.to(requester.email)) == 1


@pytest.mark.django_db
def test_the_cli_sends_what_is_due_and_prints_counts(smtp_server: Collector) -> None:
    smtp_server.refuse.append("451 4.3.0 Later")
    for _ in range(3):
        tickets.create_ticket(actor=make_agent(), title="CLI", requester=make_person())
    out = io.StringIO()
    call_command("mail", "send-pending", stdout=out)
    assert out.getvalue().strip() == (
        "sent 2, to retry 1, failed 0; 1 waiting for a later attempt, 0 stuck in sending"
    )
    assert len(smtp_server.received) == 2
