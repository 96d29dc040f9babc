"""The incident rows beside generated ticket rows (``bench.generate_tickets --kind incident``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.generate_tickets import AUTO_CLOSE_AFTER, CONTACT_TYPES, DrawnTicket


def incident_rows(drawn: Sequence[DrawnTicket], rows: Sequence[Any]) -> list[Any]:
    """The incident rows beside freshly inserted ticket rows (multi-table inheritance)."""
    from steward.incidents.choices import IncidentResolutionCode, IncidentState
    from steward.incidents.models import Incident

    incidents = []
    for ticket, row in zip(drawn, rows, strict=True):
        state = ticket.values["state"]
        finished = state in (IncidentState.RESOLVED, IncidentState.CLOSED)
        incident = Incident(
            **ticket.values,
            ticket_ptr_id=row.pk,
            contact_type=CONTACT_TYPES[ticket.source],
            hold_reason="awaiting_caller" if state == IncidentState.ON_HOLD else "",
            resolution_code=IncidentResolutionCode.SOLVED_PERMANENTLY if finished else "",
        )
        if state == IncidentState.RESOLVED:
            incident.auto_close_at = ticket.values["resolved_at"] + AUTO_CLOSE_AFTER
        incidents.append(incident)
    return incidents


def insert_incidents(incidents: list[Any]) -> None:
    """``bulk_create`` refuses inherited models; insert only the incident table's columns."""
    from steward.incidents.models import Incident

    fields = [f for f in Incident._meta.local_concrete_fields]
    Incident._base_manager._insert(incidents, fields=fields)  # type: ignore[attr-defined]
