"""Background work: the periodic schedule fires once per slot, a task runs once, tasks take ids.

The concurrency tests run real threads, each with its own database connection, through the
``shared_database`` fixture below (committed rows, and the locking Steward runs with).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cronsim import CronSimError
from django.db import connection
from django.utils import timezone
from django_tasks import TaskContext, task
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from steward.accounts.tests.factories import make_person
from steward.core import scheduler
from steward.core.models import ScheduledRun, WorkerHeartbeat
from steward.core.tasks import prune_finished_task_results
from steward.core.worker import Housekeeper

# -- tasks the tests enqueue (tasks must be module-level functions) -------------------------


@task(takes_context=True)
def record_run(context: TaskContext, *, ledger: str, pause: float = 0.0) -> str:
    """Append this run's task id to ``ledger``: one line per execution."""
    if pause:
        threading.Event().wait(pause)
    with open(ledger, "a", encoding="utf-8") as out:
        out.write(f"{context.task_result.id}\n")
    return str(context.task_result.id)


@task()
def yearly_report() -> None:
    """A stand-in periodic task; the scheduler tests only count its enqueues."""


# -- helpers --------------------------------------------------------------------------------


def run_in_threads(targets: list[Callable[[], None]], timeout: float = 30) -> None:
    """Run each target in its own thread, released together; re-raise the first failure."""
    barrier = threading.Barrier(len(targets))
    errors: list[BaseException] = []

    def wrapped(target: Callable[[], None]) -> None:
        try:
            barrier.wait(timeout=timeout)
            target()
        except BaseException as exc:  # reported to the test below
            errors.append(exc)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=wrapped, args=(t,)) for t in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish in time"
    if errors:
        raise errors[0]


@pytest.fixture
def yearly_schedule() -> Iterator[scheduler.Schedule]:
    """A schedule whose latest slot (1 January, 00:00 UTC) stays put for the whole test."""
    schedule = scheduler.Schedule(name="tests.yearly_report", cron="0 0 1 1 *", task=yearly_report)
    scheduler.register(schedule)
    yield schedule
    scheduler._schedules.pop(schedule.name, None)


def enqueued(task_obj: Any) -> int:
    return DBTaskResult.objects.filter(task_path=task_obj.module_path).count()


# -- the periodic schedule ------------------------------------------------------------------


@pytest.mark.django_db
def test_tick_enqueues_a_slot_once_and_collapses_missed_slots(
    yearly_schedule: scheduler.Schedule,
) -> None:
    # given a yearly schedule and a moment in 2031
    now = datetime(2031, 6, 5, 12, 0, 30, tzinfo=UTC)
    # when the scheduler ticks, then ticks again in the same slot
    first = scheduler.tick(now=now)
    again = scheduler.tick(now=now + timedelta(days=30))
    # then the slot was enqueued once, by the first tick
    assert "tests.yearly_report" in first
    assert "tests.yearly_report" not in again
    runs = ScheduledRun.objects.filter(name="tests.yearly_report")
    assert [run.slot for run in runs] == [datetime(2031, 1, 1, tzinfo=UTC)]
    assert enqueued(yearly_report) == 1
    assert DBTaskResult.objects.filter(pk=runs.get().task_result_id).exists()
    # when no worker ran for three years
    later = scheduler.tick(now=datetime(2034, 2, 1, tzinfo=UTC))
    # then only the latest missed slot runs, once
    assert "tests.yearly_report" in later
    assert [run.slot for run in runs.order_by("slot")] == [
        datetime(2031, 1, 1, tzinfo=UTC),
        datetime(2034, 1, 1, tzinfo=UTC),
    ]
    assert enqueued(yearly_report) == 2


def test_latest_slot_is_at_or_before_now() -> None:
    schedule = scheduler.Schedule(name="x", cron="17 3 * * *", task=yearly_report)
    assert schedule.latest_slot(datetime(2030, 5, 2, 3, 17, 59, tzinfo=UTC)) == datetime(
        2030, 5, 2, 3, 17, tzinfo=UTC
    )
    assert schedule.latest_slot(datetime(2030, 5, 2, 3, 16, 59, tzinfo=UTC)) == datetime(
        2030, 5, 1, 3, 17, tzinfo=UTC
    )


def test_a_bad_cron_expression_is_refused_at_registration() -> None:
    with pytest.raises(CronSimError):
        scheduler.register(scheduler.Schedule(name="tests.bad", cron="61 * * * *", task=None))
    assert "tests.bad" not in {s.name for s in scheduler.schedules()}


def test_concurrent_ticks_of_one_slot_enqueue_it_once(
    shared_database: None, yearly_schedule: scheduler.Schedule
) -> None:
    # given four schedulers (as on four worker nodes) ticking the same moment at once
    now = timezone.now()
    results: list[list[str]] = []

    def tick() -> None:
        results.append(scheduler.tick(now=now))

    # when they all tick together
    run_in_threads([tick] * 4)
    # then exactly one of them enqueued the slot, and the task is queued once
    winners = [names for names in results if "tests.yearly_report" in names]
    assert len(results) == 4
    assert len(winners) == 1
    assert ScheduledRun.objects.filter(name="tests.yearly_report").count() == 1
    assert enqueued(yearly_report) == 1


def test_two_housekeepers_fire_a_periodic_job_once_per_slot(
    shared_database: None, yearly_schedule: scheduler.Schedule
) -> None:
    # given two workers' housekeepers, each beating and ticking every 20 ms
    keepers = [Housekeeper(f"test-worker-{n}", interval=0.02) for n in (1, 2)]

    def keep(keeper: Housekeeper) -> Callable[[], None]:
        def run() -> None:
            threading.Timer(1.0, keeper.stop).start()
            keeper.run()  # in this thread, until the timer stops it

        return run

    # when both run side by side for a second (dozens of ticks of the same slot)
    run_in_threads([keep(k) for k in keepers])
    # then both are alive, and the slot fired exactly once between them
    assert set(WorkerHeartbeat.objects.alive().values_list("worker_id", flat=True)) == {
        "test-worker-1",
        "test-worker-2",
    }
    assert ScheduledRun.objects.filter(name="tests.yearly_report").count() == 1
    assert enqueued(yearly_report) == 1


# -- workers --------------------------------------------------------------------------------


def worker(worker_id: str) -> Worker:
    return Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def test_two_workers_never_run_one_task_twice(shared_database: None, tmp_path: Path) -> None:
    # given 24 queued tasks, each recording its own id in a ledger when it runs
    ledger = tmp_path / "ledger.txt"
    ids = {str(record_run.enqueue(ledger=str(ledger), pause=0.01).id) for _ in range(24)}
    # when two workers drain the queue at the same time
    run_in_threads([worker("worker-a").run, worker("worker-b").run])
    # then every task ran exactly once
    runs = Counter(ledger.read_text().split())
    assert set(runs) == ids
    assert set(runs.values()) == {1}
    results = DBTaskResult.objects.filter(pk__in=ids)
    assert {r.status for r in results} == {"SUCCESSFUL"}
    claims = Counter(worker_id for r in results for worker_id in r.worker_ids)
    assert all(len(r.worker_ids) == 1 for r in results)
    # and both workers took a share (the test really had two at work)
    assert set(claims) == {"worker-a", "worker-b"}


@pytest.mark.django_db
def test_tasks_take_ids_not_objects() -> None:
    # given a person
    person = make_person()
    before = DBTaskResult.objects.count()
    # when somebody tries to enqueue the object itself
    with pytest.raises(TypeError):
        record_run.enqueue(ledger="unused", person=person)  # type: ignore[call-arg]
    # then nothing is queued
    assert DBTaskResult.objects.count() == before


@pytest.mark.django_db
def test_pruning_is_idempotent_and_keeps_recent_rows(tmp_path: Path) -> None:
    # given finished results, schedule ledger rows and heartbeats, old and recent
    ledger = str(tmp_path / "ledger.txt")
    old, recent = record_run.enqueue(ledger=ledger), record_run.enqueue(ledger=ledger)
    long_ago = timezone.now() - timedelta(days=30)
    DBTaskResult.objects.filter(pk=old.id).update(status="SUCCESSFUL", finished_at=long_ago)
    DBTaskResult.objects.filter(pk=recent.id).update(
        status="SUCCESSFUL", finished_at=timezone.now()
    )
    ScheduledRun.objects.create(name="tests.old", slot=long_ago)
    ScheduledRun.objects.create(name="tests.recent", slot=timezone.now())
    WorkerHeartbeat.objects.create(worker_id="gone", seen_at=long_ago)
    WorkerHeartbeat.objects.create(worker_id="here")
    # when the prune task runs twice (as a retried task would)
    first = prune_finished_task_results.call(days=14)
    second = prune_finished_task_results.call(days=14)
    # then the first run removed the old rows, and the second found nothing left to do
    assert first == 2
    assert second == 0
    assert [str(pk) for pk in DBTaskResult.objects.values_list("pk", flat=True)] == [recent.id]
    assert list(ScheduledRun.objects.values_list("name", flat=True)) == ["tests.recent"]
    assert list(WorkerHeartbeat.objects.values_list("worker_id", flat=True)) == ["here"]
