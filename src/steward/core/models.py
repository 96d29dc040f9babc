"""Core models: the audit log, worker heartbeats and the periodic schedule's ledger."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any, Self, TypeVar

from django.conf import settings
from django.db import models
from django.utils import timezone

from steward.core import conf

_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """Base QuerySet of every business model: ``visible_to`` goes through the one policy."""

    def visible_to(self, user: Any, action: str = "view") -> Self:
        from steward.core import policy

        scoped: Self = policy.scope(self, user, action)
        return scoped


def clean_changed(
    obj: models.Model, *, changed: Iterable[str] | None = None, trusted: Iterable[str] = ()
) -> None:
    """``full_clean`` without asking the database what it has already answered.

    Django's ``full_clean`` looks up every foreign key (does the row exist?) and every unique
    value (is it taken?). Skipped here: a relation holding an instance loaded from the
    database; with ``changed`` given (the fields set since the record was read), relations
    and unique fields not among them; and ``trusted`` fields, whose values the caller took
    from the database (a number from a sequence, an organisation read off a person). Every
    other check runs as ``full_clean`` runs it, and the database's own constraints still hold.
    """
    fresh = None if changed is None else set(changed)
    skip = set(trusted)
    for f in obj._meta.concrete_fields:
        untouched = fresh is not None and f.name not in fresh
        if f.is_relation:
            loaded = f.is_cached(obj) and f.get_cached_value(obj) is not None  # type: ignore[attr-defined]
            if loaded or untouched:
                skip.add(f.name)
        elif f.unique and not f.primary_key and untouched:
            skip.add(f.name)
    obj.full_clean(exclude=skip)


class AuditEntryQuerySet(ScopedQuerySet["AuditEntry"]):
    def for_object(self, obj: models.Model) -> AuditEntryQuerySet:
        return self.filter(object_type=obj._meta.label_lower, object_id=str(obj.pk))


class AuditEntry(models.Model):
    """One change to one record: who, from where, what, before and after.

    Append-only: database triggers refuse UPDATE and DELETE on this table (see the
    migration). Services write entries through ``steward.core.audit.record`` in the same
    transaction as the change they describe.
    """

    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    actor_label = models.CharField(max_length=254, blank=True)
    source = models.CharField(max_length=16)
    request_id = models.CharField(max_length=64, blank=True)
    remote_addr = models.CharField(max_length=64, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "id"])]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M:%S}"
        return f"{when} {self.actor_label} {self.action} {self.object_repr}"


class AuditSeal(models.Model):
    """One link of the audit log's hash chain: entry ``entry`` sealed at position ``seq``.

    ``hash = sha256(prev_hash + canonical JSON of the entry)``; the chain runs in seal order
    (``seq`` 1, 2, ...), not entry id order, because entries commit out of id order. Written
    only by ``steward.core.auditchain.seal_pending``; append-only like the entries (triggers in
    the migration). No database FK to the entry: a deleted entry is ``verify``'s to report.
    """

    seq = models.BigIntegerField(unique=True)
    entry = models.OneToOneField(
        AuditEntry,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="seal",
    )
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["seq"]

    def __str__(self) -> str:
        return f"seal {self.seq} of audit entry {self.entry_id}"


class WorkerHeartbeatQuerySet(models.QuerySet["WorkerHeartbeat"]):
    def alive(self) -> WorkerHeartbeatQuerySet:
        max_age = timedelta(seconds=conf.get("WORKER_HEARTBEAT_MAX_AGE"))
        return self.filter(seen_at__gte=timezone.now() - max_age)


class WorkerHeartbeat(models.Model):
    """The last sign of life of one worker process; ``/readyz`` wants a fresh one."""

    worker_id = models.CharField(max_length=64, unique=True)
    hostname = models.CharField(max_length=255, blank=True)
    pid = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    seen_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WorkerHeartbeatQuerySet.as_manager()

    class Meta:
        ordering = ["-seen_at"]

    def __str__(self) -> str:
        return f"{self.worker_id} (seen {self.seen_at:%H:%M:%S})"


class ScheduledRun(models.Model):
    """A periodic task enqueued for one slot of its schedule.

    The unique (name, slot) pair is what makes several schedulers on several nodes safe:
    whoever inserts the row first enqueues the task; the others hit the constraint and skip.
    """

    name = models.CharField(max_length=100)
    slot = models.DateTimeField()
    enqueued_at = models.DateTimeField(default=timezone.now)
    task_result_id = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "slot"], name="uniq_scheduled_slot")]
        ordering = ["-slot"]

    def __str__(self) -> str:
        return f"{self.name} @ {self.slot:%Y-%m-%d %H:%M}"


class SiteSetting(models.Model):
    """A run-time setting an administrator changes in the UI (the process profile, ...).

    Start-up configuration comes from the environment; these are the few choices that are
    the organisation's to make while Steward runs, and every change is audited.
    """

    key = models.CharField(max_length=100, primary_key=True)
    value = models.JSONField(default=dict)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key


class NumberSequence(models.Model):
    """A named counter for record numbers on databases without sequences (SQLite).

    PostgreSQL uses a real sequence per name instead (see ``core.numbering``).
    """

    name = models.CharField(max_length=64, primary_key=True)
    last_value = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name} = {self.last_value}"
