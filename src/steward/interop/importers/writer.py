"""The bulk path: drafts become tickets, audit entries and import records in a few statements.

Calling the per-ticket services for each of 140,000 past events would run numbering,
routing, notifications and SLA sweeps per event; this writes the same rows they would (see
``drafts``) with ``bulk_create``: the base ticket rows, the kind's own rows, every audit
entry at its original instant (``audit.historical``: no listener, so no notification and no
live clock reacts to the past), the search entry and the ``ImportedRecord`` that makes a
rerun find the case. SLA clocks are then computed from that history by the SLA app's own
``sync_clocks`` (only when the site has service level targets).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connection

from steward.core import audit, numbering
from steward.core.models import AuditEntry
from steward.interop.importers.drafts import Draft
from steward.interop.importers.refs import Refs
from steward.interop.models import ImportedRecord
from steward.tickets import search
from steward.tickets.models import Ticket

BATCH = 500


def _numbers(drafts: Sequence[Draft]) -> None:
    """The source's own number where it fits Steward's numbering and is free; else the next."""
    wanted = {d.wanted_number for d in drafts if d.wanted_number}
    taken = set(Ticket.objects.filter(number__in=wanted).values_list("number", flat=True))
    seen: set[str] = set()
    kept: dict[str, int] = {}
    for draft in drafts:
        model: Any = draft.obj._meta.model
        number = draft.wanted_number
        if not number or number in taken or number in seen:
            number = numbering.next_number(model.sequence_name, model.number_prefix)
        elif (
            number.startswith(model.number_prefix) and number[len(model.number_prefix) :].isdigit()
        ):
            value = int(number[len(model.number_prefix) :])
            kept[model.sequence_name] = max(kept.get(model.sequence_name, 0), value)
        seen.add(number)
        draft.obj.number = number
        created = draft.entries[0].changes
        created["number"] = [None, number]
    for name, value in kept.items():  # new native tickets are numbered after the kept ones
        numbering.restart_after(name, value)


def save(drafts: Sequence[Draft], *, refs: Refs, run_id: int, sync_sla: bool) -> None:
    """Write ``drafts`` (all of one ticket kind); the caller holds the transaction."""
    if not drafts:
        return
    model: Any = drafts[0].obj._meta.model
    _numbers(drafts)
    base_fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    parents = [
        Ticket(**{f.attname: getattr(d.obj, f.attname) for f in base_fields}) for d in drafts
    ]
    Ticket.objects.bulk_create(parents, batch_size=BATCH)
    for draft, parent in zip(drafts, parents, strict=True):
        draft.obj.id = parent.pk
        draft.obj.ticket_ptr_id = parent.pk  # type: ignore[attr-defined]
    if model is not Ticket:
        own = list(model._meta.local_concrete_fields)
        for start in range(0, len(drafts), BATCH):
            model._base_manager._insert(
                [d.obj for d in drafts[start : start + BATCH]], fields=own, using=connection.alias
            )
    for draft in drafts:
        for hook in draft.after_save:
            hook(draft)
    entries = [
        audit.historical(
            at=entry.at,
            actor=refs.person_obj(entry.actor) if entry.actor is not None else None,
            action=entry.action,
            obj=draft.obj,
            changes=entry.changes,
            object_repr=draft.obj.number,
        )
        for draft in drafts
        for entry in draft.entries
    ]
    AuditEntry.objects.bulk_create(entries, batch_size=BATCH * 2)
    ImportedRecord.objects.bulk_create(
        [
            ImportedRecord(
                source=refs.source,
                kind=draft.kind,
                external_id=draft.external_id,
                object_type=draft.obj._meta.label_lower,
                object_id=str(draft.obj.pk),
                run_id=run_id,
                data=draft.data,
            )
            for draft in drafts
        ],
        batch_size=BATCH,
    )
    for draft in drafts:
        search.index_new(draft.obj)
    if sync_sla:
        from steward.sla.services import sync_clocks

        for draft in drafts:
            sync_clocks(draft.obj)


def forget(drafts: Sequence[Draft]) -> None:
    """Undo what a failed ``save`` set on the drafts, so each can be tried again alone."""
    for draft in drafts:
        draft.obj.id = None
        if hasattr(draft.obj, "ticket_ptr_id"):
            draft.obj.ticket_ptr_id = None
        draft.obj._state.adding = True
