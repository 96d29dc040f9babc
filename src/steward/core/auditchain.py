"""The audit log's hash chain: seal entries in order, then prove nobody edited sealed history.

Writers never wait on the chain: ``audit.record`` only inserts an entry. Every minute the
``seal_audit_log`` task runs ``seal_pending``, which appends one ``AuditSeal`` per entry not
sealed yet::

    hash(n) = sha256(prev_hash(n) + canonical_json(entry))      prev_hash(1) = "0" * 64

The chain runs in seal order (``seq``), not entry id order: transactions commit out of id
order, so an entry whose transaction committed late simply gets a later position. ``verify``
(``steward audit verify``) recomputes every link and names the first entry or seal that was
edited or deleted. Both tables are append-only in the database, so tampering means lifting the
triggers first. Someone who does that and then rewrites every seal after their edit leaves a
consistent chain with a different head: record the head ``verify`` prints somewhere else.
"""

from __future__ import annotations

import enum
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from steward.core.models import AuditEntry, AuditSeal

GENESIS = "0" * 64

#: The entry fields a seal covers, in the order ``values_list`` returns them.
HASHED_FIELDS = (
    "id",
    "created_at",
    "actor_id",
    "actor_label",
    "source",
    "request_id",
    "remote_addr",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "changes",
)

BATCH_SIZE = 5000

#: How long an audit-writing transaction may stay open. The periodic run only looks for
#: unsealed entries above the last entry sealed this long ago, instead of anti-joining the
#: whole table every minute; ``verify`` counts any entry left behind, ``audit seal`` takes it.
LOOKBACK = timedelta(hours=1)

STALE_AFTER = timedelta(minutes=10)

MAX_FINDINGS = 100

# pg_advisory_xact_lock key held by the one sealer at a time ("StwAudit").
_LOCK_KEY = 0x5374774175646974


def entry_hash(prev_hash: str, values: Sequence[Any]) -> str:
    """The seal hash of an entry given as ``values`` (one per ``HASHED_FIELDS``)."""
    fields = dict(zip(HASHED_FIELDS, values, strict=True))
    fields["created_at"] = fields["created_at"].astimezone(UTC).isoformat(timespec="microseconds")
    payload = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(prev_hash.encode("ascii") + payload.encode("utf-8")).hexdigest()


# -- sealing --------------------------------------------------------------------------------


def seal_pending(
    *,
    batch_size: int = BATCH_SIZE,
    limit: int | None = None,
    lookback: timedelta | None = LOOKBACK,
) -> int:
    """Seal entries not sealed yet, in id order, ``batch_size`` per transaction.

    Returns how many were sealed. ``lookback=None`` searches the whole table instead of only
    above the last entry sealed ``lookback`` ago. Safe to run twice or concurrently: sealers
    take turns per batch, and each batch reads the chain head under that turn.
    """
    after = 0 if lookback is None else _floor(timezone.now() - lookback)
    sealed = 0
    while limit is None or sealed < limit:
        size = batch_size if limit is None else min(batch_size, limit - sealed)
        count, after = _seal_batch(after=after, size=size)
        sealed += count
        if count < size:
            break
    return sealed


def _floor(cutoff: datetime) -> int:
    """The id of the entry sealed last before ``cutoff`` (0 if none).

    Every entry below it is sealed already, unless its transaction outlasted the lookback.
    """
    earlier = AuditSeal.objects.filter(sealed_at__lt=cutoff).order_by("-seq")
    return earlier.values_list("entry_id", flat=True).first() or 0


@transaction.atomic
def _seal_batch(*, after: int, size: int) -> tuple[int, int]:
    """Seal up to ``size`` pending entries with ids above ``after``; returns (count, last id)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
    # SQLite: Steward's transactions BEGIN IMMEDIATE, so this one already writes alone.
    head = AuditSeal.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev = head if head is not None else (0, GENESIS)
    # NOT EXISTS with the bound repeated inside: PostgreSQL then walks both indexes from
    # ``after`` (a merge anti-join) instead of hashing the whole seal table every batch.
    sealed = AuditSeal.objects.filter(entry_id=OuterRef("id"), entry_id__gt=after)
    pending = AuditEntry.objects.filter(~Exists(sealed), id__gt=after).order_by("id")
    rows = list(pending.values_list(*HASHED_FIELDS)[:size])
    now = timezone.now()
    seals = []
    for row in rows:
        seq += 1
        digest = entry_hash(prev, row)
        seals.append(
            AuditSeal(seq=seq, entry_id=row[0], prev_hash=prev, hash=digest, sealed_at=now)
        )
        prev = digest
    AuditSeal.objects.bulk_create(seals)
    return len(rows), (rows[-1][0] if rows else after)


# -- verifying ------------------------------------------------------------------------------


class FindingKind(enum.StrEnum):
    ALTERED = "altered"  # the entry no longer matches its seal
    DELETED = "deleted"  # a seal names an entry that is gone
    SEAL_ALTERED = "seal altered"  # a seal's hash or prev_hash was edited
    BROKEN_LINK = "broken link"  # seals missing, or a prev_hash not matching its predecessor


@dataclass(frozen=True)
class Finding:
    """One place where the chain and the log disagree."""

    kind: FindingKind
    seq: int
    entry_id: int
    detail: str

    def __str__(self) -> str:
        if self.kind in {FindingKind.ALTERED, FindingKind.DELETED}:
            return f"entry {self.entry_id} (seal {self.seq}): {self.detail}"
        return f"seal {self.seq} (entry {self.entry_id}): {self.detail}"


@dataclass(frozen=True)
class VerifyResult:
    """What ``verify`` found: ``ok`` unless some sealed history was edited or deleted."""

    checked: int
    pending: int
    stale: int
    head_seq: int
    head_hash: str
    findings: tuple[Finding, ...]
    problems: int  # all findings, of which the first MAX_FINDINGS are kept

    @property
    def ok(self) -> bool:
        return self.problems == 0

    @property
    def first(self) -> Finding | None:
        return self.findings[0] if self.findings else None


@dataclass
class _Checker:
    """Walks the seals in ``seq`` order, one at a time, remembering only the previous one."""

    prev_seq: int = 0
    prev_hash: str = GENESIS
    checked: int = 0
    problems: int = 0
    findings: list[Finding] = field(default_factory=list)
    # The previous seal when its entry did not match it: the next seal's prev_hash tells
    # whether the entry or the seal's own hash was edited.
    suspect: tuple[int, int, str] | None = None

    def add(self, kind: FindingKind, seq: int, entry_id: int, detail: str) -> None:
        self.problems += 1
        if len(self.findings) < MAX_FINDINGS:
            self.findings.append(Finding(kind, seq, entry_id, detail))

    def check(self, seal: tuple[int, int, str, str], entry: Sequence[Any] | None) -> None:
        seq, entry_id, prev_hash, stored = seal
        in_sequence = seq == self.prev_seq + 1
        linked = in_sequence and prev_hash == self.prev_hash
        if self.suspect is not None:
            s_seq, s_entry, recomputed = self.suspect
            if in_sequence and not linked and prev_hash == recomputed:
                self.add(FindingKind.SEAL_ALTERED, s_seq, s_entry, "its hash was edited")
                linked = True
            else:
                self.add(FindingKind.ALTERED, s_seq, s_entry, "changed after it was sealed")
            self.suspect = None
        if not linked:
            if entry is not None and entry_hash(self.prev_hash, entry) == stored and in_sequence:
                self.add(FindingKind.SEAL_ALTERED, seq, entry_id, "its prev_hash was edited")
                self._advance(seq, stored)
                return
            self.add(FindingKind.BROKEN_LINK, seq, entry_id, self._link_detail(seq))
        if entry is None:
            self.add(FindingKind.DELETED, seq, entry_id, "deleted after it was sealed")
        else:
            recomputed = entry_hash(prev_hash, entry)
            if recomputed != stored:
                self.suspect = (seq, entry_id, recomputed)
        self._advance(seq, stored)

    def finish(self) -> None:
        if self.suspect is not None:
            s_seq, s_entry, _ = self.suspect
            detail = "changed after it was sealed (or the last seal was edited)"
            self.add(FindingKind.ALTERED, s_seq, s_entry, detail)
            self.suspect = None

    def _advance(self, seq: int, stored: str) -> None:
        self.prev_seq, self.prev_hash = seq, stored
        self.checked += 1

    def _link_detail(self, seq: int) -> str:
        if seq > self.prev_seq + 1:
            return f"seals {self.prev_seq + 1} to {seq - 1} are missing"
        return f"its prev_hash does not match seal {self.prev_seq}'s hash"


def verify(*, chunk_size: int = BATCH_SIZE, stale_after: timedelta = STALE_AFTER) -> VerifyResult:
    """Recompute the whole chain in ``seq`` order, ``chunk_size`` seals per query."""
    checker = _Checker()
    after = 0
    while True:
        seals = list(
            AuditSeal.objects.filter(seq__gt=after)
            .order_by("seq")
            .values_list("seq", "entry_id", "prev_hash", "hash")[:chunk_size]
        )
        if not seals:
            break
        last = seals[-1][0]
        sealed = AuditEntry.objects.filter(seal__seq__gt=after, seal__seq__lte=last)
        rows = sealed.order_by().values_list(*HASHED_FIELDS)
        entries = {row[0]: row for row in rows}
        for seal in seals:
            checker.check(seal, entries.get(seal[1]))
        after = last
    checker.finish()
    unsealed = AuditEntry.objects.filter(seal__isnull=True)
    return VerifyResult(
        checked=checker.checked,
        pending=unsealed.count(),
        stale=unsealed.filter(created_at__lt=timezone.now() - stale_after).count(),
        head_seq=checker.prev_seq,
        head_hash=checker.prev_hash,
        findings=tuple(checker.findings),
        problems=checker.problems,
    )
