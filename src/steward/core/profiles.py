"""Switching process profile: records in states the new profile lacks move where it says.

``set_profile`` makes a profile active; every record of a registered model in a state the new
profile's workflow lacks moves into the state its ``remap`` names, in one transaction, with one
audit entry per record. ``plan_switch`` says beforehand how many would move where, and refuses a
switch that would strand records. Higher apps hear of the moved records through
:func:`on_remap` (service level clocks follow the new states).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from steward.core import audit, txcache
from steward.core.errors import Forbidden, RuleViolation
from steward.core.workflow import (
    DEFAULT_PROFILE,
    PROFILE_LABELS,
    PROFILE_SETTING,
    PROFILES,
    has_field,
    registered_models,
    workflow_for,
)

#: Told ``(model, ids, old state, new state)`` after records moved, in the switch's transaction.
RemapListener = Callable[[type[models.Model], list[Any], str, str], None]
_remap_listeners: list[RemapListener] = []


def on_remap(listener: RemapListener) -> None:
    """Hear of records a profile switch moved (a higher app registers at start-up)."""
    if listener not in _remap_listeners:
        _remap_listeners.append(listener)


@dataclass(frozen=True)
class ProfileSwitch:
    previous: str
    profile: str
    moved: Mapping[str, Mapping[tuple[str, str], int]]


def _own_rows(model: type[models.Model]) -> models.QuerySet[Any]:
    """The rows of ``model`` that follow its own workflow. With multi-table inheritance a
    parent's table also holds the rows of its children (every incident is a ticket row),
    and those follow their own model's workflow, so a registered child's rows are left out."""
    rows = model._default_manager.all()
    for label in registered_models():
        child = apps.get_model(label)
        if child is not model and issubclass(child, model) and not child._meta.proxy:
            rows = rows.filter(**{f"{child._meta.model_name}__isnull": True})
    return rows


def plan_switch(profile: str) -> dict[str, dict[tuple[str, str], int]]:
    """How many records of each model would move from which state to which."""
    if profile not in PROFILES:
        raise RuleViolation({"profile": f"Unknown profile {profile!r}."})
    plan: dict[str, dict[tuple[str, str], int]] = {}
    for label in registered_models():
        target = workflow_for(label, profile)
        model = apps.get_model(label)
        counts = (
            _own_rows(model)
            .exclude(state__in=target.codes)
            .values_list("state")
            .annotate(n=models.Count("pk"))
            .order_by()
        )
        moves = {(old, target.remap[old]): n for old, n in counts if old in target.remap}
        stranded = [old for old, _ in counts if old not in target.remap]
        if stranded:
            raise RuleViolation(
                {"profile": f"{label} has records in {stranded} that {profile!r} cannot hold."}
            )
        if moves:
            plan[label] = moves
    return plan


AUDIT_BATCH = 2000


@transaction.atomic
def set_profile(*, actor: Any, profile: str) -> ProfileSwitch:
    """Make ``profile`` active; records in states it lacks move as its ``remap`` says."""
    from steward.core.models import AuditEntry, SiteSetting

    if actor is not None and not actor.has_perm("core.change_sitesetting"):
        raise Forbidden("Only administrators may change the process profile.")
    setting, _ = SiteSetting.objects.select_for_update().get_or_create(
        key=PROFILE_SETTING, defaults={"value": DEFAULT_PROFILE}
    )
    previous = setting.value if setting.value in PROFILES else DEFAULT_PROFILE
    plan = plan_switch(profile)
    now = timezone.now()
    for label, moves in plan.items():
        model = apps.get_model(label)
        target = workflow_for(label, profile)
        for (old, new), _count in moves.items():
            state = target.state(new)
            assert state is not None
            rows = _own_rows(model).select_for_update(of=("self",)).filter(state=old)
            ids = list(rows.values_list("pk", flat=True))
            update: dict[str, Any] = {"state": new}
            if has_field(model, "state_category"):
                update["state_category"] = state.category
            if has_field(model, "version"):
                update["version"] = models.F("version") + 1
            model._default_manager.filter(pk__in=ids).update(**update)
            _record_moves(actor, model, ids, old, new, profile, AuditEntry)
            for listener in _remap_listeners:
                listener(model, ids, old, new)
    setting.value = profile
    setting.updated_at = now
    setting.save()
    txcache.forget(PROFILE_SETTING)
    audit.record(
        actor=actor,
        action="process_profile.changed",
        obj=setting,
        changes={"value": [previous, profile]},
        object_repr=f"process profile: {PROFILE_LABELS[profile]}",
    )
    return ProfileSwitch(previous=previous, profile=profile, moved=plan)


def _record_moves(
    actor: Any,
    model: type[models.Model],
    ids: Iterable[Any],
    old: str,
    new: str,
    profile: str,
    entry_model: Any,
) -> None:
    """One audit entry per moved record, written in batches (a switch may move many)."""
    from steward.core import context

    ctx = context.current()
    person = actor if getattr(actor, "is_authenticated", False) else None
    batch = []
    for pk in ids:
        batch.append(
            entry_model(
                actor=person,
                actor_label=(getattr(person, "email", "") if person else "system")[:254],
                source=ctx.source,
                request_id=ctx.request_id,
                remote_addr=ctx.remote_addr,
                action=f"{model._meta.model_name}.remapped",
                object_type=model._meta.label_lower,
                object_id=str(pk),
                object_repr=f"{model._meta.verbose_name} {pk}",
                changes={"state": [old, new], "profile": profile},
            )
        )
        if len(batch) >= AUDIT_BATCH:
            entry_model.objects.bulk_create(batch)
            batch = []
    if batch:
        entry_model.objects.bulk_create(batch)
