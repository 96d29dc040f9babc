"""Which SLA targets may apply to a ticket, with what matching them needs; kept per process.

``clocks`` asks ``candidates_for(ticket)`` at every sync; the definition services call
``definitions_changed`` so that every process reads the definitions again.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q
from django.utils import timezone

from steward.core import txcache
from steward.core.calendars import BusinessCalendar as Calendar
from steward.core.models import SiteSetting
from steward.sla import engine
from steward.sla.choices import AgreementKind, ChangePolicy
from steward.sla.models import Agreement, Target
from steward.tickets.models import Ticket

# --- which targets apply ----------------------------------------------------------------------


@dataclass
class Candidates:
    """The targets that may apply to one ticket kind, with what matching needs."""

    targets: list[Target]
    services: dict[int, frozenset[int]]
    supports: dict[int, frozenset[int]]
    paths: dict[int, str]
    calendars: dict[int, Calendar]

    def agreement_applies(
        self, agreement: Agreement, values: Mapping[str, Any], day: date, *, depth: int = 0
    ) -> bool:
        if not agreement.is_valid_on(day):
            return False
        covered = self.services[agreement.pk]
        if covered and values.get("service") not in covered:
            return False
        if agreement.kind == AgreementKind.SLA:
            org = values.get("organisation")
            path = self.paths.get(org) if org is not None else None
            customer = self.paths.get(agreement.customer_id or 0)
            return bool(path and customer and path.startswith(customer))
        if agreement.kind == AgreementKind.OLA:
            return agreement.team_id is not None and values.get("team") == agreement.team_id
        supported = self.supports[agreement.pk]
        if not supported or depth:
            return True
        slas = {t.agreement_id: t.agreement for t in self.targets}
        return any(
            pk in slas and self.agreement_applies(slas[pk], values, day, depth=1)
            for pk in supported
        )

    def select(
        self, values: Mapping[str, Any], at: datetime, kept: frozenset[int]
    ) -> frozenset[int]:
        """Target ids chosen by ``values`` at ``at``; ``kept`` targets count even when their
        agreement was switched off since (their clocks keep running)."""
        chosen: dict[tuple[int, str, str], Target] = {}
        category = values.get("category_code", "")
        for target in self.targets:
            agreement = target.agreement
            if not agreement.is_active and target.pk not in kept:
                continue
            if target.priority != values.get("priority"):
                continue
            if target.category and target.category != category:
                continue
            zone = ZoneInfo(agreement.calendar.time_zone)
            if not self.agreement_applies(agreement, values, at.astimezone(zone).date()):
                continue
            key = (agreement.pk, target.metric, target.name if target.metric == "custom" else "")
            current = chosen.get(key)
            if current is None or (target.category and not current.category):
                chosen[key] = target
        return frozenset(t.pk for t in chosen.values())

    def spec(self, target: Target) -> engine.TargetSpec:
        calendar = self.calendars[target.agreement.calendar_id]
        return engine.TargetSpec(
            key=target.pk,
            duration=target.length(calendar),
            calendar=calendar,
            conditions=target.conditions(),
            from_opening=target.agreement.change_policy == ChangePolicy.FROM_OPENING,
            thresholds=tuple(target.warning_thresholds),
        )


#: The targets of each ticket kind with what matching them needs, kept by each process for
#: as long as the definitions do not change: every ticket change syncs its clocks, and reading
#: the targets, agreements and calendars again each time cost more than the rest of the
#: sync. ``definitions_changed`` (called by every definition service, in its transaction)
#: writes a new token; each transaction reads the token once and uses what was kept for it.
#: A token is random, so a rolled-back change can never be mistaken for a later one.
VERSION_KEY = "sla.definitions"
_kept: dict[str, tuple[str, Candidates | None]] = {}


def _definitions_token() -> str:
    def read() -> str:
        value = SiteSetting.objects.filter(key=VERSION_KEY).values_list("value", flat=True)
        return str(value.first() or "")

    return txcache.memo(VERSION_KEY, read)


def definitions_changed() -> None:
    """Agreements, targets or calendars changed: every process reads them again."""
    SiteSetting.objects.update_or_create(
        key=VERSION_KEY, defaults={"value": uuid.uuid4().hex, "updated_at": timezone.now()}
    )
    txcache.forget(VERSION_KEY)


def candidates_for(ticket: Ticket, *, extra: Iterable[int] = ()) -> Candidates | None:
    """The targets of ``ticket``'s kind (active agreements, plus ``extra`` target ids: those
    with a clock already); ``None`` when there are none."""
    wanted = frozenset(extra)
    token = _definitions_token()
    kept = _kept.get(ticket.kind)
    if kept is None or kept[0] != token:
        kept = (token, _load_candidates(Q(ticket_kind=ticket.kind, agreement__is_active=True)))
        _kept[ticket.kind] = kept
    base = kept[1]
    if not wanted - {t.pk for t in (base.targets if base else ())}:
        # Organisation paths are the ticket's to look up: organisations move.
        return None if base is None else replace(base, paths={})
    return _load_candidates(
        Q(ticket_kind=ticket.kind, agreement__is_active=True) | Q(pk__in=list(wanted))
    )


def _load_candidates(condition: Q) -> Candidates | None:
    targets = list(
        Target.objects.filter(condition).select_related("agreement__calendar").order_by("pk")
    )
    if not targets:
        return None
    agreement_ids = {t.agreement_id for t in targets}
    services: dict[int, set[int]] = {pk: set() for pk in agreement_ids}
    supports: dict[int, set[int]] = {pk: set() for pk in agreement_ids}
    for agreement_id, ci_id in Agreement.services.through.objects.filter(
        agreement_id__in=agreement_ids
    ).values_list("agreement_id", "configurationitem_id"):
        services[agreement_id].add(ci_id)
    for from_id, to_id in Agreement.supports.through.objects.filter(
        from_agreement_id__in=agreement_ids
    ).values_list("from_agreement_id", "to_agreement_id"):
        supports[from_id].add(to_id)
    calendars = {t.agreement.calendar_id: t.agreement.calendar for t in targets}
    return Candidates(
        targets=targets,
        services={k: frozenset(v) for k, v in services.items()},
        supports={k: frozenset(v) for k, v in supports.items()},
        paths={},
        calendars={pk: cal.as_calendar() for pk, cal in calendars.items()},
    )
