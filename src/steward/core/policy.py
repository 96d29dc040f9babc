"""The one permission policy. Every list, detail, search, count, export and API call asks it.

Two questions, answered in this module only:

* *May this person do ``action`` to this kind of record at all?* Django model permissions,
  granted through roles (``accounts.roles``).
* *Which records?* A model's ``policy_rule`` names how its rows relate to people and
  organisations. Staff with the model permission see every row inside the organisations they
  are allowed to serve (all, unless restricted). People without the permission see the rows
  they own, and their organisation's rows where that organisation shares them.

Anything outside the scope is answered as *not found* (404), never *forbidden*, so ids
cannot be probed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.db import models
from django.db.models import Q

from steward.core.errors import Forbidden, NotFound

ACTIONS = ("view", "add", "change", "delete")
M = TypeVar("M", bound=models.Model)


class Actor(Protocol):
    """What the policy needs of a person (``accounts.Person`` provides it)."""

    pk: Any
    is_authenticated: bool
    is_active: bool

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...

    def organisation_scope(self) -> list[str] | None: ...

    def shared_organisation_id(self) -> Any: ...


@dataclass(frozen=True)
class Rule:
    """How a model's rows relate to people and organisations.

    ``organisation``: lookup from the model to its owning organisation (``"self"`` when the
    model *is* the organisation, ``None`` when rows belong to no organisation).
    ``owners``: lookups from the model to people, each with what those people may do to the
    row without a model permission (``"self"`` when the model *is* the person).
    ``shared_with_organisation``: people may view rows of their own organisation when that
    organisation lets its requesters see its records.
    ``owner_filter``: a condition every row reached *without* the model permission must also
    meet (``{"is_public": True}``: requesters never see internal work notes).
    ``public``: rows every signed-in person may view, owner or not (published portal
    articles); empty means none.
    """

    organisation: str | None = None
    owners: Mapping[str, frozenset[str]] = field(default_factory=dict)
    shared_with_organisation: bool = False
    owner_filter: Mapping[str, Any] = field(default_factory=dict)
    public: Mapping[str, Any] = field(default_factory=dict)

    def organisation_path_lookup(self) -> str | None:
        if self.organisation is None:
            return None
        return "path" if self.organisation == "self" else f"{self.organisation}__path"

    def organisation_id_lookup(self) -> str | None:
        if self.organisation is None:
            return None
        return "pk" if self.organisation == "self" else f"{self.organisation}_id"


DEFAULT_RULE = Rule()


def rule_for(model: type[models.Model]) -> Rule:
    rule = getattr(model, "policy_rule", DEFAULT_RULE)
    assert isinstance(rule, Rule)
    return rule


def permission_name(model: type[models.Model], action: str) -> str:
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}")
    return f"{model._meta.app_label}.{action}_{model._meta.model_name}"


def _is_person(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def has_model_permission(user: Any, model: type[models.Model], action: str) -> bool:
    """May ``user`` do ``action`` to *some* rows of ``model`` through a role?"""
    return _is_person(user) and bool(user.has_perm(permission_name(model, action)))


def _tenancy(rule: Rule, user: Actor) -> Q | None:
    """The organisations staff may serve, as a filter; ``None`` means unrestricted."""
    lookup = rule.organisation_path_lookup()
    paths = user.organisation_scope()
    if lookup is None or paths is None:
        return None
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{lookup}__startswith": path})
    return condition


def _crosses_to_many(model: type[models.Model], lookup: str) -> bool:
    """Does ``lookup`` pass through a to-many relation at any hop?"""
    current: Any = model
    for part in lookup.split("__"):
        try:
            relation = current._meta.get_field(part)
        except FieldDoesNotExist:
            return False
        if relation.many_to_many or relation.one_to_many:
            return True
        if relation.related_model is None:
            return False
        current = relation.related_model
    return False


def _owner_term(model: type[models.Model], owner: str, user: Actor) -> Q:
    if owner == "self":
        return Q(pk=user.pk)
    if _crosses_to_many(model, owner):
        # A to-many hop would repeat rows when OR-ed with other terms; a subquery does not.
        owned = model._default_manager.filter(**{owner: user.pk}).values("pk")
        return Q(pk__in=owned)
    return Q(**{owner: user.pk})


def _ownership(model: type[models.Model], rule: Rule, user: Actor, action: str) -> Q | None:
    condition: Q | None = None
    for owner, actions in rule.owners.items():
        if action not in actions:
            continue
        term = _owner_term(model, owner, user)
        condition = term if condition is None else condition | term
    shared = rule.organisation_id_lookup()
    if action == "view" and rule.shared_with_organisation and shared:
        organisation_id = user.shared_organisation_id()
        if organisation_id is not None:
            term = Q(**{shared: organisation_id})
            condition = term if condition is None else condition | term
    return condition


def scope(queryset: models.QuerySet[M], user: Any, action: str = "view") -> Any:
    """The rows of ``queryset`` on which ``user`` may do ``action``."""
    if not _is_person(user):
        return queryset.none()
    rule = rule_for(queryset.model)
    if user.has_perm(permission_name(queryset.model, action)):
        tenancy = _tenancy(rule, user)
        return queryset if tenancy is None else queryset.filter(tenancy)
    owned = _ownership(queryset.model, rule, user, action)
    if owned is not None and rule.owner_filter:
        owned &= Q(**rule.owner_filter)
    if action == "view" and rule.public:
        public = Q(**rule.public)
        owned = public if owned is None else owned | public
    if owned is None:
        return queryset.none()
    return queryset.filter(owned)


def can(user: Any, action: str, obj: models.Model) -> bool:
    """May ``user`` do ``action`` to the saved object ``obj``?"""
    # ``_meta.model``, not ``type(obj)``: request.user arrives wrapped in a SimpleLazyObject.
    model = obj._meta.model
    if (
        obj.pk is not None
        and _is_person(user)
        and user.has_perm(permission_name(model, action))
        and _tenancy(rule_for(model), user) is None
    ):
        return True  # the user's scope is every row of the model: nothing to look up
    return bool(scope(model._default_manager.filter(pk=obj.pk), user, action).exists())


def can_add(user: Any, model: type[models.Model], *, owner: Any = None) -> bool:
    """May ``user`` create a ``model`` row (owned by ``owner``, for owner-created rows)?"""
    if has_model_permission(user, model, "add"):
        return True
    rule = rule_for(model)
    owner_may_add = any("add" in actions for actions in rule.owners.values())
    return (
        _is_person(user)
        and owner_may_add
        and owner is not None
        and getattr(owner, "pk", owner) == user.pk
    )


def require_model(user: Any, model: type[models.Model], action: str = "view") -> None:
    """Pages of a model exist only for holders of its ``action`` permission: ``NotFound``
    (404) for everybody else, so the page reveals nothing."""
    if not has_model_permission(user, model, action):
        raise NotFound(f"{model._meta.verbose_name} not found")


def require(user: Any, action: str, obj: models.Model) -> None:
    """Raise ``NotFound`` if ``user`` cannot see ``obj``, ``Forbidden`` if they may not act."""
    if not can(user, "view", obj):
        raise NotFound(f"{obj._meta.verbose_name} not found")
    if action != "view" and not can(user, action, obj):
        raise Forbidden(f"You may not {action} this {obj._meta.verbose_name}.")


def require_add(user: Any, model: type[models.Model], *, owner: Any = None) -> None:
    if not can_add(user, model, owner=owner):
        raise Forbidden(f"You may not create {model._meta.verbose_name_plural}.")


def get_for(user: Any, queryset: models.QuerySet[M], pk: Any, action: str = "view") -> M:
    """Fetch one row through the policy; ``NotFound`` when it is missing or out of scope."""
    try:
        obj: M = scope(queryset, user, action).get(pk=pk)
    except (ObjectDoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"{queryset.model._meta.verbose_name} not found") from exc
    return obj
