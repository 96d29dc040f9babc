"""Defining calendars, agreements and targets: checked when defined, audited.

A refused definition changes nothing, so the clocks already running keep running. A change to
an agreement or target reaches a ticket's clocks when that ticket changes next (or when it is
replayed); the clocks' audit entries say when.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from typing import Any, TypeVar, cast

from django.db import transaction
from django.utils import timezone

from steward.accounts.choices import OrganisationKind
from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, policy, workflow
from steward.core.calendars import add_business_time
from steward.core.errors import Conflict, Forbidden, RuleViolation, refuse_unknown
from steward.core.workflow import Category
from steward.sla import actions
from steward.sla.choices import AgreementKind, ChangePolicy, DurationUnit, TargetMetric
from steward.sla.models import Agreement, BusinessCalendar, Target, calendar_from
from steward.sla.services import candidates
from steward.tickets.models import ticket_kinds

CALENDAR_FIELDS = (
    "name",
    "time_zone",
    "hours",
    "holiday_country",
    "holiday_subdivision",
    "closures",
)
AGREEMENT_FIELDS = (
    "name",
    "code",
    "kind",
    "customer",
    "team",
    "supplier",
    "calendar",
    "valid_from",
    "valid_until",
    "change_policy",
    "description",
    "is_active",
)
AGREEMENT_M2M = ("services", "supports")
TARGET_FIELDS = (
    "name",
    "metric",
    "ticket_kind",
    "priority",
    "category",
    "duration",
    "unit",
    "start_states",
    "pause_states",
    "stop_states",
    "cancel_states",
    "warning_thresholds",
    "warning_actions",
    "breach_actions",
)
CONDITION_FIELDS = ("start_states", "pause_states", "stop_states", "cancel_states")


_F = TypeVar("_F", bound=Callable[..., Any])


def _changes_definitions(service: _F) -> _F:
    """After a definition service succeeds, every process reads the definitions again
    (``candidates.definitions_changed``)."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        result = service(*args, **kwargs)
        candidates.definitions_changed()
        return result

    return cast(_F, wrapper)


def _require(actor: Person | None, model: type[Any], action: str) -> None:
    if actor is not None and not policy.has_model_permission(actor, model, action):
        raise Forbidden(f"You may not {action} {model._meta.verbose_name_plural}.")


# --- calendars --------------------------------------------------------------------------------


def _check_calendar(values: dict[str, Any]) -> None:
    try:
        built = calendar_from(
            time_zone=values["time_zone"],
            hours=values["hours"],
            country=values.get("holiday_country", ""),
            subdivision=values.get("holiday_subdivision", ""),
            closures=values.get("closures", []),
        )
    except ValueError as exc:
        message = str(exc)
        lowered = message.lower()
        if "zone" in lowered:
            field = "time_zone"
        elif "subdivision" in lowered:
            field = "holiday_subdivision"
        elif "country" in lowered:
            field = "holiday_country"
        elif "closure" in lowered or "date" in lowered:
            field = "closures"
        else:
            field = "hours"
        raise RuleViolation({field: message}) from exc
    try:  # closure days may leave nothing to work in
        add_business_time(built, timezone.now(), timedelta(minutes=1))
    except ValueError as exc:
        raise RuleViolation({"hours": "The calendar has no working time ahead."}) from exc


@transaction.atomic
@_changes_definitions
def create_calendar(*, actor: Person | None, **values: Any) -> BusinessCalendar:
    """A business calendar; one without working time is refused."""
    _require(actor, BusinessCalendar, "add")
    refuse_unknown(values, CALENDAR_FIELDS)
    values.setdefault("time_zone", "UTC")
    values.setdefault("hours", {})
    if BusinessCalendar.objects.filter(name=values.get("name", "")).exists():
        raise RuleViolation({"name": "A calendar with this name exists."})
    _check_calendar(values)
    calendar = BusinessCalendar(**values)
    calendar.full_clean()
    calendar.save()
    audit.record(
        actor=actor,
        action="businesscalendar.created",
        obj=calendar,
        changes=audit.diff({}, audit.snapshot(calendar, CALENDAR_FIELDS)),
    )
    return calendar


@transaction.atomic
@_changes_definitions
def update_calendar(
    *, actor: Person | None, calendar: BusinessCalendar, **changes: Any
) -> BusinessCalendar:
    _require(actor, BusinessCalendar, "change")
    refuse_unknown(changes, CALENDAR_FIELDS)
    locked = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
    before = audit.snapshot(locked, CALENDAR_FIELDS)
    merged = {**before, **changes}
    _check_calendar(merged)
    if "name" in changes and (
        BusinessCalendar.objects.filter(name=changes["name"]).exclude(pk=locked.pk).exists()
    ):
        raise RuleViolation({"name": "A calendar with this name exists."})
    for name, value in changes.items():
        setattr(locked, name, value)
    changed = audit.diff(before, audit.snapshot(locked, CALENDAR_FIELDS))
    if not changed:
        return locked
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit.record(actor=actor, action="businesscalendar.updated", obj=locked, changes=changed)
    return locked


# --- agreements -------------------------------------------------------------------------------


def _periods_overlap(
    a_from: date, a_until: date | None, b_from: date, b_until: date | None
) -> bool:
    return (b_until is None or a_from <= b_until) and (a_until is None or b_from <= a_until)


def _check_agreement(
    values: dict[str, Any],
    services: list[ConfigurationItem],
    supports: list[Agreement],
    *,
    pk: int | None,
) -> None:
    kind = values.get("kind")
    if kind not in AgreementKind.values:
        raise RuleViolation({"kind": "Choose SLA, OLA or underpinning contract."})
    party_field = {"sla": "customer", "ola": "team", "uc": "supplier"}[kind]
    errors: dict[str, str] = {}
    for name in ("customer", "team", "supplier"):
        if name == party_field and values.get(name) is None:
            errors[name] = {
                "customer": "An SLA is agreed with a customer organisation.",
                "team": "An OLA is agreed with an internal team.",
                "supplier": "An underpinning contract is agreed with a supplier.",
            }[name]
        elif name != party_field and values.get(name) is not None:
            errors[name] = f"Only for {dict(AgreementKind.choices)[_kind_of(name)]}s."
    supplier: Organisation | None = values.get("supplier")
    if supplier is not None and supplier.kind != OrganisationKind.SUPPLIER:
        errors["supplier"] = f"{supplier} is not a supplier organisation."
    customer: Organisation | None = values.get("customer")
    if customer is not None and customer.kind == OrganisationKind.SUPPLIER:
        errors["customer"] = f"{customer} is a supplier, not a customer."
    team: Team | None = values.get("team")
    if team is not None and not team.is_active:
        errors["team"] = f"{team} is not active."
    not_services = [str(s) for s in services if not s.is_service]
    if not_services:
        errors["services"] = f"Not services: {', '.join(not_services)}."
    valid_from, valid_until = values.get("valid_from"), values.get("valid_until")
    if valid_from is None:
        errors["valid_from"] = "When does the agreement start?"
    elif valid_until is not None and valid_until < valid_from:
        errors["valid_until"] = "The agreement ends before it starts."
    if values.get("change_policy") not in ChangePolicy.values:
        errors["change_policy"] = "Choose how a change mid-ticket is counted."
    if supports:
        if kind == AgreementKind.SLA:
            errors["supports"] = "Only OLAs and underpinning contracts support SLAs."
        elif any(s.kind != AgreementKind.SLA for s in supports):
            errors["supports"] = "Only SLAs can be supported."
        elif pk is not None and any(s.pk == pk for s in supports):
            errors["supports"] = "An agreement cannot support itself."
    if kind == AgreementKind.UC and not services and not supports:
        errors["services"] = "Name the services the contract covers, or the SLAs it supports."
    if errors:
        raise RuleViolation(errors)
    if values.get("is_active", True):
        _check_overlap(values, services, pk=pk, party_field=party_field)


def _kind_of(field: str) -> str:
    return {"customer": "sla", "team": "ola", "supplier": "uc"}[field]


def _check_overlap(
    values: dict[str, Any], services: list[ConfigurationItem], *, pk: int | None, party_field: str
) -> None:
    """Two active agreements of a kind with the same party, overlapping in time and in the
    services they cover, would give a ticket two answers: refused."""
    party = values[party_field]
    others = (
        Agreement.objects.active()
        .filter(kind=values["kind"], **{party_field: party})
        .exclude(pk=pk or 0)
        .prefetch_related("services")
    )
    mine = {s.pk for s in services}
    for other in others:
        if not _periods_overlap(
            values["valid_from"], values.get("valid_until"), other.valid_from, other.valid_until
        ):
            continue
        theirs = {s.pk for s in other.services.all()}
        if mine and theirs and not (mine & theirs):
            continue
        shared = "every service" if not mine or not theirs else "the same services"
        raise RuleViolation(
            {
                "__all__": f"Overlaps {other.name} ({other.code}): same {party_field}, "
                f"{shared}, overlapping validity. End one before the other starts."
            }
        )


def _save_relations(
    agreement: Agreement, services: list[ConfigurationItem] | None, supports: list[Agreement] | None
) -> None:
    if services is not None:
        agreement.services.set(services)
    if supports is not None:
        agreement.supports.set(supports)


def _snapshot(agreement: Agreement) -> dict[str, Any]:
    return audit.snapshot(agreement, (*AGREEMENT_FIELDS, *AGREEMENT_M2M))


@transaction.atomic
@_changes_definitions
def create_agreement(
    *,
    actor: Person | None,
    services: Iterable[ConfigurationItem] = (),
    supports: Iterable[Agreement] = (),
    **values: Any,
) -> Agreement:
    """An SLA, OLA or underpinning contract; overlapping or unsound ones are refused."""
    _require(actor, Agreement, "add")
    refuse_unknown(values, AGREEMENT_FIELDS)
    values.setdefault("valid_from", timezone.localdate())
    values.setdefault("change_policy", ChangePolicy.FROM_OPENING)
    services, supports = list(services), list(supports)
    if Agreement.objects.filter(code=values.get("code", "")).exists():
        raise RuleViolation({"code": "An agreement with this code exists."})
    _check_agreement(values, services, supports, pk=None)
    agreement = Agreement(**values)
    agreement.full_clean()
    agreement.save()
    _save_relations(agreement, services, supports)
    audit.record(
        actor=actor,
        action="agreement.created",
        obj=agreement,
        changes=audit.diff({}, _snapshot(agreement)),
    )
    return agreement


@transaction.atomic
@_changes_definitions
def update_agreement(
    *,
    actor: Person | None,
    agreement: Agreement,
    expected_version: int | None = None,
    services: Iterable[ConfigurationItem] | None = None,
    supports: Iterable[Agreement] | None = None,
    **changes: Any,
) -> Agreement:
    """Change an agreement (a stale ``expected_version`` raises ``Conflict``)."""
    _require(actor, Agreement, "change")
    refuse_unknown(changes, AGREEMENT_FIELDS)
    locked = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    if "kind" in changes and changes["kind"] != locked.kind and locked.clocks.exists():
        raise RuleViolation({"kind": "Tickets have clocks of this agreement; keep its kind."})
    if "code" in changes and (
        Agreement.objects.filter(code=changes["code"]).exclude(pk=locked.pk).exists()
    ):
        raise RuleViolation({"code": "An agreement with this code exists."})
    before = _snapshot(locked)
    new_services = list(services) if services is not None else list(locked.services.all())
    new_supports = list(supports) if supports is not None else list(locked.supports.all())
    values = {name: getattr(locked, name) for name in AGREEMENT_FIELDS}
    values.update(changes)
    _check_agreement(values, new_services, new_supports, pk=locked.pk)
    for name, value in changes.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save()
    _save_relations(
        locked,
        new_services if services is not None else None,
        new_supports if supports is not None else None,
    )
    changed = audit.diff(before, _snapshot(locked))
    if not changed:
        return locked
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save(update_fields=["version", "updated_at"])
    audit.record(actor=actor, action="agreement.updated", obj=locked, changes=changed)
    return locked


# --- targets ----------------------------------------------------------------------------------


def known_states(kind: str) -> dict[str, str]:
    """Every state code of ``kind``'s workflow in any profile, with its label."""
    try:
        per_profile = workflow.workflows_for(kind)
    except LookupError:
        return {}
    states: dict[str, str] = {}
    for flow in per_profile.values():
        if flow is not None:
            for state in flow.states:
                states.setdefault(state.code, state.label)
    return states


def known_conditions(kind: str) -> dict[str, str]:
    """The codes a target's conditions may name for ``kind``: every state, and for kinds
    that say why a ticket waits (``state_reason_field``), each waiting state with each reason
    (``on_hold:awaiting_caller``: that reason only)."""
    codes = known_states(kind)
    model = ticket_kinds().get(kind)
    reason_field = getattr(model, "state_reason_field", "") if model is not None else ""
    if not reason_field:
        return codes
    try:
        per_profile = workflow.workflows_for(kind)
    except LookupError:
        return codes
    assert model is not None
    reasons = getattr(model._meta.get_field(reason_field), "choices", None) or []
    qualified = dict(codes)
    for flow in per_profile.values():
        if flow is None:
            continue
        for state in flow.states:
            if state.category == Category.WAITING:
                for value, label in reasons:
                    qualified.setdefault(f"{state.code}:{value}", f"{state.label} ({label})")
    return qualified


def default_conditions(kind: str) -> dict[str, list[str]]:
    """Pause while waiting, stop when resolved or closed, cancel when cancelled."""
    try:
        per_profile = workflow.workflows_for(kind)
    except LookupError:
        return {name: [] for name in CONDITION_FIELDS}
    waiting: set[str] = set()
    finished: set[str] = set()
    for flow in per_profile.values():
        if flow is None:
            continue
        for state in flow.states:
            if state.category == Category.WAITING:
                waiting.add(state.code)
            elif state.category in (Category.RESOLVED, Category.CLOSED):
                finished.add(state.code)
    cancel = {code for code in finished if code == "cancelled"}
    return {
        "start_states": [],
        "pause_states": sorted(waiting),
        "stop_states": sorted(finished - cancel),
        "cancel_states": sorted(cancel),
    }


def kind_choices() -> list[tuple[str, str]]:
    return sorted(
        (label, str(model._meta.verbose_name).capitalize())
        for label, model in ticket_kinds().items()
    )


def _check_target(values: dict[str, Any], *, agreement: Agreement, pk: int | None) -> None:
    errors: dict[str, str] = {}
    kind = values.get("ticket_kind", "")
    if kind not in ticket_kinds():
        errors["ticket_kind"] = f"Unknown ticket kind {kind!r}."
    if values.get("metric") not in TargetMetric.values:
        errors["metric"] = "Choose first response, resolution or custom."
    if values.get("unit") not in DurationUnit.values:
        errors["unit"] = "Choose business minutes, hours or days."
    duration = values.get("duration")
    if not isinstance(duration, int) or isinstance(duration, bool) or duration <= 0:
        errors["duration"] = "A target must last more than zero."
    states = known_conditions(kind)
    seen: dict[str, str] = {}
    for name in CONDITION_FIELDS:
        codes = values.get(name) or []
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            errors[name] = "A list of state codes."
            continue
        unknown = [c for c in codes if c not in states]
        if unknown and kind in ticket_kinds():
            known = ", ".join(sorted(states))
            errors[name] = f"Unknown states: {', '.join(unknown)}. Known: {known}."
            continue
        for code in codes:
            if code in seen and seen[code] != name:
                errors[name] = (
                    f"{code!r} is also a {seen[code].removesuffix('_states')} state: "
                    "a state can only do one thing to a clock."
                )
            seen[code] = name
    thresholds = values.get("warning_thresholds") or []
    if not isinstance(thresholds, list) or not all(
        isinstance(p, int) and not isinstance(p, bool) and 0 < p < 100 for p in thresholds
    ):
        errors["warning_thresholds"] = "Whole percentages between 1 and 99."
    elif len(set(thresholds)) != len(thresholds):
        errors["warning_thresholds"] = "Each threshold once."
    for name in ("warning_actions", "breach_actions"):
        named = values.get(name) or []
        if not isinstance(named, list):
            errors[name] = "A list of action names."
            continue
        unknown = [a for a in named if a not in actions.names()]
        if unknown:
            errors[name] = (
                f"Unknown actions: {', '.join(map(str, unknown))}. "
                f"Known: {', '.join(sorted(actions.names()))}."
            )
    if thresholds and not values.get("warning_actions"):
        errors.setdefault("warning_actions", "Say what a warning does (e.g. notify).")
    if values.get("metric") == TargetMetric.CUSTOM and not str(values.get("name", "")).strip():
        errors["name"] = "Name the custom target."
    if errors:
        raise RuleViolation(errors)
    _check_contradictions(values, agreement=agreement, pk=pk)


def _check_contradictions(values: dict[str, Any], *, agreement: Agreement, pk: int | None) -> None:
    same = Target.objects.filter(
        agreement=agreement,
        ticket_kind=values["ticket_kind"],
        priority=values["priority"],
        category=values.get("category", ""),
    ).exclude(pk=pk or 0)
    metric = values["metric"]
    if metric != TargetMetric.CUSTOM and same.filter(metric=metric).exists():
        raise RuleViolation(
            {"__all__": "This agreement already has that target for this kind and priority."}
        )
    if metric == TargetMetric.CUSTOM and same.filter(metric=metric, name=values["name"]).exists():
        raise RuleViolation({"name": "This agreement already has a custom target of that name."})
    calendar = agreement.calendar.as_calendar()
    mine = Target(duration=values["duration"], unit=values["unit"]).length(calendar)
    other_metric = {
        TargetMetric.FIRST_RESPONSE: TargetMetric.RESOLUTION,
        TargetMetric.RESOLUTION: TargetMetric.FIRST_RESPONSE,
    }.get(metric)
    if other_metric is None:
        return
    other = same.filter(metric=other_metric).first()
    if other is None:
        return
    theirs = other.length(calendar)
    response, resolution = (
        (mine, theirs) if metric == TargetMetric.FIRST_RESPONSE else (theirs, mine)
    )
    if response > resolution:
        raise RuleViolation(
            {
                "duration": f"Contradicts {other.name}: the first response would be due after "
                "the resolution."
            }
        )


def _target_values(values: dict[str, Any]) -> dict[str, Any]:
    values = dict(values)
    defaults = default_conditions(values.get("ticket_kind", ""))
    for name in CONDITION_FIELDS:
        if values.get(name) is None:
            values[name] = defaults[name]
    for name in ("warning_thresholds", "warning_actions", "breach_actions"):
        if values.get(name) is None:
            values[name] = []
    values["warning_thresholds"] = (
        sorted(values["warning_thresholds"])
        if isinstance(values["warning_thresholds"], list)
        and all(isinstance(p, int) for p in values["warning_thresholds"])
        else values["warning_thresholds"]
    )
    values.setdefault("category", "")
    values.setdefault("unit", DurationUnit.HOURS)
    if not values.get("name") and values.get("metric") in TargetMetric.values:
        values["name"] = str(TargetMetric(values["metric"]).label)
    return values


@transaction.atomic
@_changes_definitions
def create_target(*, actor: Person | None, agreement: Agreement, **values: Any) -> Target:
    """A target of ``agreement``; conditions left out take the kind's defaults."""
    _require(actor, Target, "add")
    if actor is not None:
        policy.require(actor, "view", agreement)
    refuse_unknown(values, TARGET_FIELDS)
    values = _target_values(values)
    _check_target(values, agreement=agreement, pk=None)
    target = Target(agreement=agreement, **values)
    target.full_clean()
    target.save()
    audit.record(
        actor=actor,
        action="target.created",
        obj=target,
        changes=audit.diff({}, audit.snapshot(target, ("agreement", *TARGET_FIELDS))),
    )
    return target


@transaction.atomic
@_changes_definitions
def update_target(*, actor: Person | None, target: Target, **changes: Any) -> Target:
    _require(actor, Target, "change")
    refuse_unknown(changes, TARGET_FIELDS)
    locked = (
        Target.objects.select_for_update().select_related("agreement__calendar").get(pk=target.pk)
    )
    if actor is not None:
        policy.require(actor, "view", locked.agreement)
    moved = "ticket_kind" in changes and changes["ticket_kind"] != locked.ticket_kind
    if moved and locked.clocks.exists():
        raise RuleViolation({"ticket_kind": "Tickets have clocks of this target."})
    before = audit.snapshot(locked, TARGET_FIELDS)
    values = _target_values({**before, **changes})
    _check_target(values, agreement=locked.agreement, pk=locked.pk)
    for name in TARGET_FIELDS:
        setattr(locked, name, values[name])
    changed = audit.diff(before, audit.snapshot(locked, TARGET_FIELDS))
    if not changed:
        return locked
    locked.updated_at = timezone.now()
    locked.full_clean()
    locked.save()
    audit.record(actor=actor, action="target.updated", obj=locked, changes=changed)
    return locked


@transaction.atomic
@_changes_definitions
def delete_target(*, actor: Person | None, target: Target) -> None:
    """Only a target no ticket has a clock of (others are kept for history)."""
    _require(actor, Target, "delete")
    if target.clocks.exists():
        raise RuleViolation({"__all__": "Tickets have clocks of this target; it stays."})
    audit.record(
        actor=actor,
        action="target.deleted",
        obj=target,
        changes=audit.diff(audit.snapshot(target, TARGET_FIELDS), {}),
    )
    target.delete()
