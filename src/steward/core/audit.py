"""Writing the audit log. Services call ``record`` in the same transaction as their change."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import models

from steward.core import context
from steward.core.models import AuditEntry

Snapshot = dict[str, Any]
Listener = Callable[[AuditEntry, models.Model], None]

_listeners: list[Listener] = []


def listen(listener: Listener) -> None:
    """Call ``listener(entry, obj)`` after every audit entry, inside the same transaction.

    Every record change is audited, so this is the one place a higher layer (notifications,
    SLA clocks) learns what happened without the lower layer knowing it exists. A listener
    that raises rolls the business change back with it; one that only wants to act after
    commit uses ``transaction.on_commit``.
    """
    if listener not in _listeners:
        _listeners.append(listener)


def _json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted((_json_value(v) for v in value), key=str)
    if isinstance(value, list | tuple):  # ordered: a diff's [before, after] must stay so
        return [_json_value(v) for v in value]
    return value


def snapshot(obj: models.Model, fields: Iterable[str]) -> Snapshot:
    """JSON-safe values of ``fields`` (FKs as ids) for a before/after comparison."""
    values: Snapshot = {}
    for name in fields:
        field = obj._meta.get_field(name)
        if field.many_to_many:
            values[name] = sorted(getattr(obj, name).values_list("pk", flat=True))
        elif field.is_relation:
            values[name] = getattr(obj, f"{name}_id")
        else:
            values[name] = _json_value(getattr(obj, name))
    return values


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Field-level changes as ``{field: [before, after]}``, only for fields that changed."""
    changed: dict[str, list[Any]] = {}
    for name in sorted(set(before) | set(after)):
        old, new = _json_value(before.get(name)), _json_value(after.get(name))
        if old != new:
            changed[name] = [old, new]
    return changed


def _entry(
    ctx: context.ActionContext,
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    person = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        actor=person,
        actor_label=(getattr(person, "email", "") if person else "system")[:254],
        source=ctx.source,
        request_id=ctx.request_id,
        remote_addr=ctx.remote_addr,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:200],
        changes={key: _json_value(value) for key, value in (changes or {}).items()},
    )


def record(
    *,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """Append one audit entry describing ``action`` on ``obj`` by ``actor``."""
    entry = _entry(
        context.current(),
        actor=actor,
        action=action,
        obj=obj,
        changes=changes,
        object_repr=object_repr,
    )
    entry.save()
    for listener in _listeners:
        listener(entry, obj)
    return entry


def historical(
    *,
    at: datetime.datetime,
    actor: Any,
    action: str,
    obj: models.Model,
    changes: Mapping[str, Any] | None = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """An unsaved entry for a change made at ``at`` in the past (a history import replays a
    ticket's life with these; the caller saves them in bulk). No listener hears it: past
    changes notify nobody and drive no live clock."""
    entry = _entry(
        context.current(),
        actor=actor,
        action=action,
        obj=obj,
        changes=changes,
        object_repr=object_repr,
    )
    entry.created_at = at
    return entry


def record_many(items: Iterable[Mapping[str, Any]]) -> list[AuditEntry]:
    """Append several entries in one INSERT (each item holds ``record``'s arguments), for a
    task acting on many records at once; the listeners hear each entry, in order."""
    ctx = context.current()
    pending = [(_entry(ctx, **item), item["obj"]) for item in items]
    entries = AuditEntry.objects.bulk_create([entry for entry, _ in pending])
    for entry, (_, obj) in zip(entries, pending, strict=True):
        for listener in _listeners:
            listener(entry, obj)
    return entries
