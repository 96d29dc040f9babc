"""Class administration: CI classes and their attributes, relationship types.

Everyone who reads the CMDB may read its classes; configuration managers and administrators
(the roles holding the CMDB's add/change permissions) define them, in the web UI, no code.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.models import actor_of
from steward.cmdb import services
from steward.cmdb.attributes import definitions_for, source_order
from steward.cmdb.forms import AttributeDefinitionForm, CITypeForm, RelationshipTypeForm
from steward.cmdb.models import AttributeDefinition, CIType, RelationshipType
from steward.cmdb.views.common import save_form
from steward.cmdb.views.items import _require_reader
from steward.core import policy
from steward.core.errors import RuleViolation


@login_required
def citype_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    classes = list(
        CIType.objects.visible_to(user)
        .select_related("parent")
        .annotate(item_count=Count("items", distinct=True))
        .annotate(attribute_count=Count("attribute_defs", distinct=True))
        .order_by("name")
    )
    # The hierarchy as an indented list: roots by name, each followed by its subclasses.
    children: dict[int | None, list[CIType]] = {}
    for ci_type in classes:
        children.setdefault(ci_type.parent_id, []).append(ci_type)
    ordered: list[CIType] = []

    def place(parent: int | None, level: int) -> None:
        for ci_type in children.get(parent, []):
            ci_type.level = level  # type: ignore[attr-defined]
            ordered.append(ci_type)
            place(ci_type.pk, level + 1)

    place(None, 0)
    context = {"classes": ordered, "may_add": policy.can_add(user, CIType)}
    return render(request, "cmdb/citype_list.html", context)


@login_required
def citype_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    ci_type = policy.get_for(user, CIType.objects.select_related("parent"), pk)
    may_change = policy.can(user, "change", ci_type)
    context = {
        "ci_type": ci_type,
        "definitions": definitions_for(ci_type),
        "source_order": source_order(ci_type, None),
        "subclasses": ci_type.children.order_by("name"),
        "may_change": may_change,
        "attribute_form": AttributeDefinitionForm() if may_change else None,
    }
    return render(request, "cmdb/citype_detail.html", context)


@login_required
def citype_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, CIType)
    form = CITypeForm(request.POST or None)
    return save_form(
        request,
        form,
        lambda: services.create_ci_type(actor=user, **form.service_arguments()),
        done="added",
        template="cmdb/citype_form.html",
        context={"ci_type": None},
    )


@login_required
def citype_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    ci_type = policy.get_for(user, CIType.objects.all(), pk)
    policy.require(user, "change", ci_type)
    form = CITypeForm(request.POST or None, ci_type=ci_type)
    return save_form(
        request,
        form,
        lambda: services.update_ci_type(actor=user, ci_type=ci_type, **form.changes()),
        done="saved",
        template="cmdb/citype_form.html",
        context={"ci_type": ci_type},
    )


@login_required
def attribute_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    ci_type = policy.get_for(user, CIType.objects.all(), pk)
    policy.require(user, "change", ci_type)
    form = AttributeDefinitionForm(request.POST or None)
    return save_form(
        request,
        form,
        lambda: services.create_attribute(actor=user, ci_type=ci_type, **form.service_arguments()),
        done="added",
        template="cmdb/attribute_form.html",
        context={"ci_type": ci_type, "definition": None},
        next_url=lambda definition: ci_type.get_absolute_url(),
    )


@login_required
def attribute_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    definition = policy.get_for(user, AttributeDefinition.objects.select_related("ci_type"), pk)
    ci_type = definition.ci_type
    policy.require(user, "change", ci_type)
    form = AttributeDefinitionForm(request.POST or None, definition=definition)
    return save_form(
        request,
        form,
        lambda: services.update_attribute(actor=user, definition=definition, **form.changes()),
        done="saved",
        template="cmdb/attribute_form.html",
        context={"ci_type": ci_type, "definition": definition},
        next_url=lambda saved: ci_type.get_absolute_url(),
    )


@login_required
@require_POST
def attribute_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    definition = policy.get_for(user, AttributeDefinition.objects.select_related("ci_type"), pk)
    ci_type = definition.ci_type
    try:
        services.remove_attribute(actor=user, definition=definition)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{definition.label} has been removed.")
    return redirect(ci_type)


@login_required
def relationshiptype_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    types = RelationshipType.objects.visible_to(user).prefetch_related(
        Prefetch("source_types", queryset=CIType.objects.only("id", "name")),
        Prefetch("target_types", queryset=CIType.objects.only("id", "name")),
    )
    context = {
        "types": types,
        "may_add": policy.can_add(user, RelationshipType),
        "may_change": policy.has_model_permission(user, RelationshipType, "change"),
    }
    return render(request, "cmdb/relationshiptype_list.html", context)


@login_required
def relationshiptype_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, RelationshipType)
    form = RelationshipTypeForm(request.POST or None)
    return save_form(
        request,
        form,
        lambda: services.create_relationship_type(actor=user, **form.cleaned_data),
        done="added",
        template="cmdb/relationshiptype_form.html",
        context={"relationship_type": None},
        next_url=lambda saved: "cmdb:relationshiptype_list",
    )


@login_required
def relationshiptype_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    relationship_type = policy.get_for(user, RelationshipType.objects.all(), pk)
    policy.require(user, "change", relationship_type)
    form = RelationshipTypeForm(request.POST or None, relationship_type=relationship_type)
    return save_form(
        request,
        form,
        lambda: services.update_relationship_type(
            actor=user, relationship_type=relationship_type, **form.changes()
        ),
        done="saved",
        template="cmdb/relationshiptype_form.html",
        context={"relationship_type": relationship_type},
        next_url=lambda saved: "cmdb:relationshiptype_list",
    )
