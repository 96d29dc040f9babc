"""The workflow engine: states and transitions as data, one function that changes a state.

Each app declares, in its ``workflows.py``, one :class:`Workflow` per process profile for
each model with a life (``register``). A workflow names states (each in a category the
platform understands), the allowed transitions, the fields a transition needs (``requires``),
named guards (callables that may refuse) and named effects (callables run after the change, in
the same transaction). Apps higher up register guards and effects by name at start-up (the
SLA app registers ``sla.pause``), so a lower app's data can name behaviour it does not import.

:func:`transition` is the only way a state changes. It locks the row, checks the version,
the permission, the table, the required fields and the guards, stamps the timestamps, bumps
the version, writes the audit entry and runs the effects, all in one transaction; a refusal
changes nothing.

Process profiles (``full``, ``lite``, ``fits``, ``core``) choose which workflow is active;
switching (``core.profiles``) moves records in states the new profile lacks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models, transaction
from django.utils import timezone

from steward.core import audit, policy, txcache
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation

PROFILES: tuple[str, ...] = ("full", "lite", "fits", "core")
PROFILE_LABELS: dict[str, str] = {
    "full": "Full ITIL",
    "lite": "ITIL small-scale implementation",
    "fits": "FITS (schools)",
    "core": "Core Practice",
}
DEFAULT_PROFILE = "full"
PROFILE_SETTING = "process_profile"


class Category:
    """What a state means to the platform (queues, clocks, reports), whatever its name."""

    NEW = "new"
    ACTIVE = "active"
    WAITING = "waiting"
    RESOLVED = "resolved"
    CLOSED = "closed"

    ALL: tuple[str, ...] = (NEW, ACTIVE, WAITING, RESOLVED, CLOSED)
    OPEN: tuple[str, ...] = (NEW, ACTIVE, WAITING)
    LABELS: dict[str, str] = {
        NEW: "New",
        ACTIVE: "In progress",
        WAITING: "Waiting",
        RESOLVED: "Resolved",
        CLOSED: "Closed",
    }


#: Timestamps stamped when a record enters a category (if the model has the field), and
#: cleared when it goes back to an open one (a reopened ticket is no longer resolved).
STAMPS: dict[str, str] = {Category.RESOLVED: "resolved_at", Category.CLOSED: "closed_at"}


@dataclass(frozen=True)
class State:
    code: str
    label: str
    category: str


@dataclass(frozen=True)
class Transition:
    """From any of ``source`` to ``target``.

    ``permission`` is a policy action on the record (``"change"``) or a model permission
    (``"incidents.close_incident"``). ``fields`` may be set along with the transition;
    ``requires`` must have a value afterwards.
    """

    source: tuple[str, ...]
    target: str
    label: str
    requires: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()
    guards: tuple[str, ...] = ()
    effects: tuple[str, ...] = ()
    permission: str = "change"


@dataclass(frozen=True)
class Workflow:
    """One process's life under one profile."""

    states: tuple[State, ...]
    initial: str
    transitions: tuple[Transition, ...]
    remap: Mapping[str, str] = field(default_factory=dict)

    def state(self, code: str) -> State | None:
        return next((s for s in self.states if s.code == code), None)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(s.code for s in self.states)

    def transitions_from(self, code: str) -> list[Transition]:
        return [t for t in self.transitions if code in t.source]

    def find(self, source: str, target: str) -> Transition | None:
        return next(
            (t for t in self.transitions if source in t.source and t.target == target), None
        )

    def problems(self) -> list[str]:
        """What is wrong with this declaration (empty when it is sound)."""
        found: list[str] = []
        codes = [s.code for s in self.states]
        if len(set(codes)) != len(codes):
            found.append("state codes repeat")
        for state in self.states:
            if state.category not in Category.ALL:
                found.append(f"state {state.code!r} has unknown category {state.category!r}")
        if self.initial not in self.codes:
            found.append(f"initial state {self.initial!r} is not declared")
        pairs: set[tuple[str, str]] = set()
        for t in self.transitions:
            for code in (*t.source, t.target):
                if code not in self.codes:
                    found.append(f"transition {t.label!r} names undeclared state {code!r}")
            for source in t.source:
                if (source, t.target) in pairs:
                    found.append(f"two transitions from {source!r} to {t.target!r}")
                pairs.add((source, t.target))
            if t.target in t.source:
                found.append(f"transition {t.label!r} leads back to its own source")
        for old, new in self.remap.items():
            if new not in self.codes:
                found.append(f"remap of {old!r} names undeclared state {new!r}")
        reachable = {self.initial}
        frontier = [self.initial]
        while frontier:
            code = frontier.pop()
            for t in self.transitions_from(code):
                if t.target not in reachable:
                    reachable.add(t.target)
                    frontier.append(t.target)
        for code in sorted(self.codes - reachable):
            found.append(f"state {code!r} cannot be reached from {self.initial!r}")
        return found


Guard = Callable[[Any, Any], str | None]
Effect = Callable[..., None]


@dataclass
class _Registry:
    workflows: dict[str, dict[str, Workflow | None]] = field(default_factory=dict)
    guards: dict[str, Guard] = field(default_factory=dict)
    effects: dict[str, list[Effect]] = field(default_factory=dict)


_registry = _Registry()


def _label(model: type[models.Model] | str) -> str:
    return model if isinstance(model, str) else model._meta.label_lower


def register(model: type[models.Model] | str, workflows: Mapping[str, Workflow | None]) -> None:
    """Declare a model's workflow per profile (``None``: the process is off in that profile).

    Refuses unsound declarations, and profiles that leave a state of another profile without
    a ``remap`` target (a profile switch must never strand a record).
    """
    label = _label(model)
    missing = [p for p in PROFILES if p not in workflows]
    if missing:
        raise ValueError(f"{label}: no workflow for profiles {missing}")
    if workflows.get(DEFAULT_PROFILE) is None:
        raise ValueError(f"{label}: the {DEFAULT_PROFILE!r} profile must have a workflow")
    problems: list[str] = []
    for profile, workflow in workflows.items():
        if workflow is None:
            continue
        problems += [f"{profile}: {p}" for p in workflow.problems()]
        for other_profile, other in workflows.items():
            if other is None or other is workflow:
                continue
            for code in sorted(other.codes - workflow.codes):
                if code not in workflow.remap:
                    problems.append(
                        f"{profile}: state {code!r} of {other_profile!r} has no remap target"
                    )
    if problems:
        raise ValueError(f"{label}: " + "; ".join(problems))
    _registry.workflows[label] = dict(workflows)


def register_guard(name: str, guard: Guard) -> None:
    """A guard returns ``None`` to allow, or the message to refuse with."""
    _registry.guards[name] = guard


def register_effect(name: str, effect: Effect) -> None:
    """An effect is called as ``effect(obj, actor=..., transition=..., previous=...)``."""
    handlers = _registry.effects.setdefault(name, [])
    if effect not in handlers:
        handlers.append(effect)


def registered_models() -> list[str]:
    return sorted(_registry.workflows)


def unhandled_effects() -> list[str]:
    """Effects named in workflow data that no app has registered (yet)."""
    named = {
        effect
        for per_profile in _registry.workflows.values()
        for workflow in per_profile.values()
        if workflow is not None
        for t in workflow.transitions
        for effect in t.effects
    }
    return sorted(named - set(_registry.effects))


def unknown_guards() -> list[str]:
    named = {
        guard
        for per_profile in _registry.workflows.values()
        for workflow in per_profile.values()
        if workflow is not None
        for t in workflow.transitions
        for guard in t.guards
    }
    return sorted(named - set(_registry.guards))


# --- the active profile ------------------------------------------------------------------------


def active_profile() -> str:
    """The profile the site runs now (read once per transaction: a creation asks four times)."""
    return txcache.memo(PROFILE_SETTING, _read_profile)


def _read_profile() -> str:
    from steward.core.models import SiteSetting

    value = SiteSetting.objects.filter(key=PROFILE_SETTING).values_list("value", flat=True).first()
    return value if isinstance(value, str) and value in PROFILES else DEFAULT_PROFILE


def workflows_for(model: type[models.Model] | str) -> dict[str, Workflow | None]:
    label = _label(model)
    try:
        return _registry.workflows[label]
    except KeyError:
        raise LookupError(f"{label} has no registered workflow") from None


def workflow_for(model: type[models.Model] | str, profile: str | None = None) -> Workflow:
    """The workflow records of ``model`` follow now.

    A process switched off in the active profile takes no new records, but its existing
    records follow the ``full`` workflow so they can still be finished.
    """
    per_profile = workflows_for(model)
    workflow = per_profile.get(profile or active_profile())
    if workflow is None:
        workflow = per_profile[DEFAULT_PROFILE]
    assert workflow is not None
    return workflow


def is_enabled(model: type[models.Model] | str, profile: str | None = None) -> bool:
    """Is the process on in the (active) profile, i.e. may new records be created?"""
    return workflows_for(model).get(profile or active_profile()) is not None


def initial_state(model: type[models.Model] | str) -> State:
    workflow = workflow_for(model)
    state = workflow.state(workflow.initial)
    assert state is not None
    return state


def state_of(obj: models.Model) -> State | None:
    """The declared state ``obj`` is in, under the active workflow."""
    return workflow_for(obj._meta.model).state(obj.state)  # type: ignore[attr-defined]


# --- changing a state --------------------------------------------------------------------------


def has_field(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check_permission(actor: Any, permission: str, obj: models.Model) -> None:
    if actor is None:
        return
    if "." in permission:
        policy.require(actor, "view", obj)
        if not actor.has_perm(permission):
            raise Forbidden("You may not make this transition.")
    else:
        policy.require(actor, permission, obj)


def allowed_transitions(obj: models.Model, actor: Any) -> list[Transition]:
    """The transitions out of ``obj``'s state that ``actor`` may attempt (for buttons)."""
    workflow = workflow_for(obj._meta.model)
    allowed = []
    for t in workflow.transitions_from(obj.state):  # type: ignore[attr-defined]
        try:
            _check_permission(actor, t.permission, obj)
        except (Forbidden, NotFound):
            continue
        allowed.append(t)
    return allowed


def apply_state(obj: models.Model, state: State, *, now: Any = None) -> list[str]:
    """Put ``obj`` into ``state`` with its category and stamps; returns the fields touched."""
    now = now or timezone.now()
    model = obj._meta.model
    touched = ["state"]
    obj.state = state.code  # type: ignore[attr-defined]
    if has_field(model, "state_category"):
        obj.state_category = state.category  # type: ignore[attr-defined]
        touched.append("state_category")
    for category, stamp in STAMPS.items():
        if not has_field(model, stamp):
            continue
        if state.category == category and getattr(obj, stamp) is None:
            setattr(obj, stamp, now)
            touched.append(stamp)
        elif state.category in Category.OPEN and getattr(obj, stamp) is not None:
            setattr(obj, stamp, None)
            touched.append(stamp)
    closing_unresolved = (
        state.category == Category.CLOSED
        and has_field(model, "resolved_at")
        and getattr(obj, "resolved_at", None) is None
    )
    if closing_unresolved:  # closed without a resolution step: resolved and closed at once
        obj.resolved_at = now  # type: ignore[attr-defined]
        touched.append("resolved_at")
    return touched


def transition(
    obj: models.Model,
    *,
    to: str,
    actor: Any,
    values: Mapping[str, Any] | None = None,
    expected_version: int | None = None,
    held: bool = False,
) -> Any:
    """Move ``obj`` to state ``to``; the only way a state changes. Returns the saved record.

    Raises ``RuleViolation`` (not allowed from here, a required field missing, a guard
    refused), ``Forbidden``/``NotFound`` (permission), ``Conflict`` (stale version). Any of
    them leaves the record exactly as it was.

    ``held``: ``obj`` is the record as this transaction wrote it a moment ago (so it holds
    the row's lock and nobody else changed it): it is moved as it is instead of being read
    again. On a refusal it may keep the values tried, so only a caller whose transaction
    fails with the refusal may say so (and, for the same reason, no savepoint is set).
    """
    with transaction.atomic(savepoint=not held):
        return _transition(
            obj, to=to, actor=actor, values=values, expected_version=expected_version, held=held
        )


def _transition(
    obj: models.Model,
    *,
    to: str,
    actor: Any,
    values: Mapping[str, Any] | None,
    expected_version: int | None,
    held: bool,
) -> Any:
    model = obj._meta.model
    values = dict(values or {})
    locked: Any = obj if held else model._default_manager.select_for_update().get(pk=obj.pk)
    workflow = workflow_for(model)
    current = locked.state
    chosen = workflow.find(current, to)
    target = workflow.state(to)
    if chosen is None or target is None:
        here = workflow.state(current)
        there = target.label if target else to
        raise RuleViolation(
            {"state": f"A record cannot go from {here.label if here else current} to {there}."}
        )
    _check_permission(actor, chosen.permission, locked)
    if (
        expected_version is not None
        and has_field(model, "version")
        and locked.version != expected_version
    ):
        raise Conflict()
    unknown = set(values) - set(chosen.fields)
    if unknown:
        raise RuleViolation(
            {name: f"Cannot be set when you {chosen.label.lower()}." for name in sorted(unknown)}
        )
    tracked = ("state", *chosen.fields, *STAMPS.values())
    tracked = tuple(name for name in dict.fromkeys(tracked) if has_field(model, name))
    before = audit.snapshot(locked, tracked)
    for name, value in values.items():
        setattr(locked, name, value)
    missing = {
        name: f"Required to {chosen.label.lower()}."
        for name in chosen.requires
        if _is_empty(getattr(locked, name, None))
    }
    if missing:
        raise RuleViolation(missing)
    for name in chosen.guards:
        guard = _registry.guards.get(name)
        if guard is None:
            raise RuleViolation({"state": f"The check {name!r} is not available."})
        refusal = guard(locked, actor)
        if refusal:
            raise RuleViolation({"state": refusal})
    now = timezone.now()
    touched = [*values, *apply_state(locked, target, now=now)]
    if has_field(model, "version"):
        locked.version += 1
        touched.append("version")
    if has_field(model, "updated_at"):
        locked.updated_at = now
        touched.append("updated_at")
    from steward.core.models import clean_changed

    clean_changed(locked, changed=touched)
    locked.save(update_fields=list(dict.fromkeys(touched)))
    audit.record(
        actor=actor,
        action=f"{model._meta.model_name}.transitioned",
        obj=locked,
        changes=audit.diff(before, audit.snapshot(locked, tracked)),
    )
    for name in chosen.effects:
        for effect in _registry.effects.get(name, []):
            effect(locked, actor=actor, transition=chosen, previous=current)
    return locked


def state_labels() -> dict[str, str]:
    """Every declared state code's label, across models and profiles (for lists)."""
    labels: dict[str, str] = {}
    for per_profile in _registry.workflows.values():
        for declared in per_profile.values():
            if declared is not None:
                labels.update({s.code: s.label for s in declared.states})
    return labels


def describe(profile: str | None = None) -> Mapping[str, Workflow]:
    """Every registered model's workflow under ``profile`` (for documentation pages)."""
    return {label: workflow_for(label, profile) for label in registered_models()}
