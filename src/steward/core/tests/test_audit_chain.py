"""The audit log's hash chain: sealing in order, and ``verify`` catching edits behind our back.

Tampering tests lift the append-only triggers inside the test's transaction (DDL is
transactional on SQLite and PostgreSQL), so the rollback at the end puts them back.
"""

from __future__ import annotations

import hashlib
import io
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from steward import cli
from steward.core import append_only, auditchain, scheduler
from steward.core.auditchain import GENESIS, Finding, FindingKind
from steward.core.models import AuditEntry, AuditSeal
from steward.core.tasks import seal_audit_log

TABLES = ("core_auditentry", "core_auditseal")


def make_entry(**overrides: Any) -> AuditEntry:
    values: dict[str, Any] = {
        "actor_label": "ada@example.org",
        "source": "web",
        "request_id": "r1",
        "remote_addr": "192.0.2.1",
        "action": "ticket.updated",
        "object_type": "tickets.ticket",
        "object_id": "7",
        "object_repr": "Printer on fire",
        "changes": {"status": ["open", "resolved"]},
    }
    values.update(overrides)
    return AuditEntry.objects.create(**values)


def make_entries(count: int) -> list[AuditEntry]:
    return [make_entry(object_id=str(n), changes={"n": [n, n + 1]}) for n in range(count)]


def values_of(entry: AuditEntry) -> tuple[Any, ...]:
    values: tuple[Any, ...] = (
        AuditEntry.objects.filter(pk=entry.pk).values_list(*auditchain.HASHED_FIELDS).get()
    )
    return values


def chain() -> list[tuple[int, int, str, str]]:
    return list(
        AuditSeal.objects.order_by("seq").values_list("seq", "entry_id", "prev_hash", "hash")
    )


def verify_output() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


@pytest.fixture
def guarded() -> None:
    """The triggers in place for this test, whatever earlier transactional tests left."""
    for table in TABLES:
        append_only.create(connection, table)


@pytest.fixture
def lifted(guarded: None) -> None:
    """The triggers lifted for this test only: the tamperer's first step."""
    for table in TABLES:
        append_only.drop(connection, table)


# -- the hash ------------------------------------------------------------------------------


def test_entry_hash_is_sha256_of_prev_hash_and_canonical_json():
    # given an entry's values, with keys out of order and a non-ASCII character
    created = datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    values = (
        5,
        created,
        None,
        "zoë@example.org",
        "api",
        "",
        "",
        "x",
        "t.t",
        "5",
        "",
        {"b": 1, "a": "é"},
    )
    # when it is hashed after the genesis hash
    digest = auditchain.entry_hash(GENESIS, values)
    # then the payload is sorted, compact, UTF-8 JSON with a microsecond UTC timestamp
    payload = (
        '{"action":"x","actor_id":null,"actor_label":"zoë@example.org",'
        '"changes":{"a":"é","b":1},"created_at":"2030-01-02T03:04:05.000006+00:00","id":5,'
        '"object_id":"5","object_repr":"","object_type":"t.t","remote_addr":"","request_id":"",'
        '"source":"api"}'
    )
    assert digest == hashlib.sha256((GENESIS + payload).encode("utf-8")).hexdigest()


# -- sealing -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sealing_chains_the_pending_entries_in_id_order():
    # given three entries nobody sealed
    entries = make_entries(3)
    # when the sealer runs with batches smaller than the backlog
    sealed = auditchain.seal_pending(batch_size=2)
    # then each entry got the next position, linked to the one before
    assert sealed == 3
    links = chain()
    assert [(seq, entry_id) for seq, entry_id, _, _ in links] == [
        (1, entries[0].pk),
        (2, entries[1].pk),
        (3, entries[2].pk),
    ]
    prev = GENESIS
    for (_, _, prev_hash, digest), entry in zip(links, entries, strict=True):
        assert prev_hash == prev
        assert digest == auditchain.entry_hash(prev, values_of(entry))
        prev = digest


@pytest.mark.django_db
def test_sealing_again_seals_nothing():
    # given a sealed log
    make_entries(3)
    auditchain.seal_pending()
    before = chain()
    # when the sealer runs again
    sealed = auditchain.seal_pending()
    # then nothing changed
    assert sealed == 0
    assert chain() == before


@pytest.mark.django_db
def test_limit_stops_sealing_and_the_next_run_continues():
    # given five pending entries
    entries = make_entries(5)
    # when one run is limited to two, and the next is not
    first = auditchain.seal_pending(batch_size=10, limit=2)
    second = auditchain.seal_pending(batch_size=10)
    # then the chain still runs in id order
    assert (first, second) == (2, 3)
    assert [entry_id for _, entry_id, _, _ in chain()] == [entry.pk for entry in entries]


@pytest.mark.django_db
def test_an_entry_committed_late_gets_a_later_position_and_the_chain_holds():
    # given entries 1000010 and 1000012 sealed while 1000011's transaction was still open
    make_entry(id=1_000_010)
    make_entry(id=1_000_012)
    auditchain.seal_pending()
    # when 1000011 commits, then the sealer runs again
    make_entry(id=1_000_011)
    sealed = auditchain.seal_pending()
    # then the late entry is sealed after the higher id, and verify is satisfied
    assert sealed == 1
    assert [(seq, entry_id) for seq, entry_id, _, _ in chain()] == [
        (1, 1_000_010),
        (2, 1_000_012),
        (3, 1_000_011),
    ]
    result = auditchain.verify()
    assert (result.ok, result.checked, result.pending) == (True, 3, 0)


@pytest.mark.django_db
def test_the_periodic_run_looks_back_one_lookback_and_a_full_run_takes_the_rest(monkeypatch):
    # given entries 100 and 300 sealed two hours ago
    long_ago = timezone.now() - timedelta(hours=2)
    make_entry(id=100, created_at=long_ago)
    make_entry(id=300, created_at=long_ago)
    with monkeypatch.context() as patched:
        patched.setattr(timezone, "now", lambda: long_ago)
        auditchain.seal_pending()
    # and entry 200, whose transaction stayed open for two hours, and a fresh entry 400
    make_entry(id=200, created_at=long_ago)
    make_entry(id=400)
    # when the periodic run seals
    periodic = auditchain.seal_pending()
    # then it looked only above entry 300, and verify reports entry 200 as stale
    assert periodic == 1
    result = auditchain.verify()
    assert (result.ok, result.pending, result.stale) == (True, 1, 1)
    # when an operator runs a full sealing run
    full = auditchain.seal_pending(lookback=None)
    # then entry 200 is sealed too
    assert full == 1
    assert [entry_id for _, entry_id, _, _ in chain()] == [100, 300, 400, 200]
    assert auditchain.verify().pending == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connections["default"].vendor != "postgresql", reason="concurrent writers need PostgreSQL"
)
def test_concurrent_sealers_take_turns(transactional_db):
    # given sixty pending entries
    entries = make_entries(60)
    counts: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(3)

    def sealer() -> None:
        try:
            barrier.wait(timeout=10)
            counts.append(auditchain.seal_pending(batch_size=7, lookback=None))
        except BaseException as exc:  # noqa: BLE001 - re-raised by the test below
            errors.append(exc)
        finally:
            connection.close()

    # when three sealers start at once
    threads = [threading.Thread(target=sealer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    # then each entry was sealed once, the positions have no gaps and the chain verifies
    assert not errors, errors
    assert sum(counts) == 60
    links = chain()
    assert [seq for seq, _, _, _ in links] == list(range(1, 61))
    assert sorted(entry_id for _, entry_id, _, _ in links) == [entry.pk for entry in entries]
    assert auditchain.verify().ok


# -- the database refuses edits ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_database_refuses_to_update_or_delete_seals(guarded):
    # given a sealed entry
    make_entry()
    auditchain.seal_pending()
    seals = AuditSeal.objects.all()
    # when someone updates or deletes its seal through the database, then it is refused
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        seals.update(hash="0" * 64)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        seals.delete()
    assert seals.count() == 1


# -- verify --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_passes_an_intact_chain_and_counts_pending_entries():
    # given four sealed entries and one written since
    make_entries(4)
    auditchain.seal_pending()
    make_entry()
    # when the chain is verified
    result = auditchain.verify(chunk_size=3)
    # then it holds, and the fresh entry is pending but not stale
    assert result.ok
    assert (result.checked, result.pending, result.stale) == (4, 1, 0)
    assert (result.head_seq, result.head_hash) == (4, chain()[-1][3])
    assert result.findings == ()


@pytest.mark.django_db
def test_verify_names_the_entry_whose_changes_were_edited(lifted):
    # given five sealed entries
    entries = make_entries(5)
    auditchain.seal_pending()
    # when someone edits the third entry's changes straight in the database
    AuditEntry.objects.filter(pk=entries[2].pk).update(changes={"n": [2, 99]})
    result = auditchain.verify(chunk_size=2)
    # then verify names exactly that entry and its seal, and nothing else
    assert not result.ok
    assert result.findings == (
        Finding(FindingKind.ALTERED, 3, entries[2].pk, "changed after it was sealed"),
    )
    assert result.checked == 5


@pytest.mark.django_db
def test_verify_catches_a_raw_sql_edit_of_the_last_entry(lifted):
    # given three sealed entries
    entries = make_entries(3)
    auditchain.seal_pending()
    # when someone rewrites the actor of the last one with SQL
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditentry SET actor_label = %s WHERE id = %s",
            ["someone.else@example.org", entries[2].pk],
        )
    result = auditchain.verify()
    # then verify names it
    first = result.first
    assert first is not None
    assert (first.kind, first.seq, first.entry_id) == (FindingKind.ALTERED, 3, entries[2].pk)
    assert result.problems == 1


@pytest.mark.django_db
def test_verify_reports_a_deleted_entry(lifted):
    # given three sealed entries
    entries = make_entries(3)
    auditchain.seal_pending()
    # when the second entry is deleted
    AuditEntry.objects.filter(pk=entries[1].pk).delete()
    result = auditchain.verify()
    # then verify names it as deleted
    assert result.findings == (
        Finding(FindingKind.DELETED, 2, entries[1].pk, "deleted after it was sealed"),
    )


@pytest.mark.django_db
def test_verify_reports_an_edited_seal_hash(lifted):
    # given three sealed entries
    entries = make_entries(3)
    auditchain.seal_pending()
    # when the second seal's hash is overwritten
    AuditSeal.objects.filter(seq=2).update(hash="f" * 64)
    result = auditchain.verify()
    # then verify blames the seal, not the entry
    assert result.findings == (
        Finding(FindingKind.SEAL_ALTERED, 2, entries[1].pk, "its hash was edited"),
    )


@pytest.mark.django_db
def test_verify_reports_an_edited_prev_hash(lifted):
    # given three sealed entries
    entries = make_entries(3)
    auditchain.seal_pending()
    # when the third seal's link to the second is overwritten
    AuditSeal.objects.filter(seq=3).update(prev_hash="e" * 64)
    result = auditchain.verify()
    # then verify blames that seal
    assert result.findings == (
        Finding(FindingKind.SEAL_ALTERED, 3, entries[2].pk, "its prev_hash was edited"),
    )


@pytest.mark.django_db
def test_verify_reports_a_deleted_seal_as_a_broken_link(lifted):
    # given three sealed entries
    entries = make_entries(3)
    auditchain.seal_pending()
    # when the second seal is deleted
    AuditSeal.objects.filter(seq=2).delete()
    result = auditchain.verify()
    # then the chain is broken before seal 3, and entry 2 is pending again
    assert result.findings == (
        Finding(FindingKind.BROKEN_LINK, 3, entries[2].pk, "seals 2 to 2 are missing"),
    )
    assert result.pending == 1


# -- the command, the CLI and the task -----------------------------------------------------


@pytest.mark.django_db
def test_audit_verify_command_reports_an_intact_log_and_exits_0():
    # given two sealed entries and one pending
    make_entries(2)
    auditchain.seal_pending()
    make_entry()
    # when an operator runs `audit verify`
    code, out, err = verify_output()
    # then it says so and exits 0
    assert code == 0
    assert out.splitlines()[0] == "audit log intact: 2 entries sealed, 1 pending"
    assert out.splitlines()[1] == f"chain head: seal 2 {chain()[-1][3]}"
    assert err == ""


@pytest.mark.django_db
def test_audit_verify_command_names_the_altered_entry_and_exits_1(lifted):
    # given three sealed entries, the second edited behind the application's back
    entries = make_entries(3)
    auditchain.seal_pending()
    AuditEntry.objects.filter(pk=entries[1].pk).update(action="ticket.deleted")
    # when an operator runs `audit verify`
    code, out, _ = verify_output()
    # then it names the entry and its seal, and exits 1
    assert code == 1
    assert out.splitlines()[0] == (
        f"audit log ALTERED at entry {entries[1].pk} (seal 2): changed after it was sealed"
    )


@pytest.mark.django_db
def test_audit_verify_warns_about_entries_left_unsealed():
    # given an entry written an hour ago that nobody sealed
    make_entry(created_at=timezone.now() - timedelta(hours=1))
    # when an operator runs `audit verify`
    code, out, err = verify_output()
    # then the log is intact but the operator is warned
    assert code == 0
    assert out == "audit log intact: 0 entries sealed, 1 pending\n"
    assert err.startswith("warning: 1 entries unsealed for over 10 minutes")


@pytest.mark.django_db
def test_audit_seal_command_seals_and_prints_the_count():
    # given three pending entries
    make_entries(3)
    out = io.StringIO()
    # when an operator seals now
    call_command("audit", "seal", stdout=out)
    # then they are sealed
    assert out.getvalue() == "sealed 3 audit entries\n"
    assert AuditSeal.objects.count() == 3


@pytest.mark.django_db
def test_steward_audit_verify_runs_through_the_cli(lifted, capsys):
    # given a sealed entry, edited afterwards
    entry = make_entry()
    auditchain.seal_pending()
    AuditEntry.objects.filter(pk=entry.pk).update(object_repr="Nothing happened")
    # when `steward audit verify` runs
    with pytest.raises(SystemExit) as exited:
        cli.main(["steward", "audit", "verify"])
    # then it exits 1 naming the entry
    assert exited.value.code == 1
    assert capsys.readouterr().out.startswith(f"audit log ALTERED at entry {entry.pk} (seal 1)")


@pytest.mark.django_db
def test_the_seal_task_runs_every_minute_and_is_idempotent():
    # given the core schedule and two pending entries
    schedule = {s.name: s for s in scheduler.schedules()}["core.seal_audit_log"]
    make_entries(2)
    # when the task runs twice
    first, second = seal_audit_log.call(), seal_audit_log.call()
    # then it sealed both once, every minute
    assert (schedule.cron, schedule.task) == ("* * * * *", seal_audit_log)
    assert (first, second) == (2, 0)
