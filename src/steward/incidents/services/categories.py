"""Incident categories: a managed tree, two levels deep. Actor first, audited."""

from typing import Any

from django.db import transaction

from steward.accounts.models import Person
from steward.core import audit, policy
from steward.core.errors import RuleViolation, refuse_unknown
from steward.incidents.models import MAX_CATEGORY_DEPTH, Category

CATEGORY_FIELDS = ("name", "code", "parent", "description", "is_active")


# --- categories -------------------------------------------------------------------------------


def _check_category(category: Category) -> None:
    parent = category.parent
    if parent is not None:
        if parent.pk == category.pk:
            raise RuleViolation({"parent": "A category cannot be its own parent."})
        if parent.parent_id is not None:
            raise RuleViolation(
                {"parent": f"Categories are {MAX_CATEGORY_DEPTH} levels deep at most."}
            )
        if category.pk is not None and category.children.exists():
            raise RuleViolation({"parent": "A category with subcategories cannot become one."})
    siblings = Category.objects.filter(parent=parent, name__iexact=category.name.strip())
    if siblings.exclude(pk=category.pk).exists():
        raise RuleViolation({"name": "A category with this name already exists here."})


@transaction.atomic
def create_category(
    *,
    actor: Person | None,
    name: str,
    code: str,
    parent: Category | None = None,
    description: str = "",
    is_active: bool = True,
) -> Category:
    """A category, or a subcategory of ``parent``."""
    if actor is not None:
        policy.require_add(actor, Category)
    category = Category(
        name=name.strip(),
        code=code,
        parent=parent,
        description=description,
        is_active=is_active,
    )
    _check_category(category)
    category.full_clean()
    category.save()
    audit.record(
        actor=actor,
        action="category.created",
        obj=category,
        changes=audit.diff({}, audit.snapshot(category, CATEGORY_FIELDS)),
    )
    return category


@transaction.atomic
def update_category(*, actor: Person | None, category: Category, **changes: Any) -> Category:
    """Rename, move or (de)activate a category."""
    refuse_unknown(changes, CATEGORY_FIELDS)
    locked = Category.objects.select_for_update().get(pk=category.pk)
    if actor is not None:
        policy.require(actor, "change", locked)
    before = audit.snapshot(locked, CATEGORY_FIELDS)
    for name, value in changes.items():
        setattr(locked, name, value.strip() if name == "name" else value)
    _check_category(locked)
    changed = audit.diff(before, audit.snapshot(locked, CATEGORY_FIELDS))
    if not changed:
        return locked
    locked.full_clean()
    locked.save()
    audit.record(actor=actor, action="category.updated", obj=locked, changes=changed)
    return locked


def _check_categories(
    category: Category | None,
    subcategory: Category | None,
    *,
    new_category: bool = True,
    new_subcategory: bool = True,
) -> None:
    """The subcategory belongs to the category; newly chosen ones must be in use."""
    if category is not None and category.parent_id is not None:
        raise RuleViolation({"category": "Choose a top-level category."})
    if new_category and category is not None and not category.is_active:
        raise RuleViolation({"category": f"{category} is no longer in use."})
    if subcategory is not None:
        if category is None or subcategory.parent_id != category.pk:
            raise RuleViolation({"subcategory": "Choose a subcategory of the category."})
        if new_subcategory and not subcategory.is_active:
            raise RuleViolation({"subcategory": f"{subcategory} is no longer in use."})
