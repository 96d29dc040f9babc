"""CI pages: the list, a CI with its relationships and history, creating and editing.

Views parse, fetch through the policy, call one service and render; what someone may not
see answers 404, a write they may not make 403.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from steward.accounts.models import Organisation, Person, Team, actor_of
from steward.cmdb import history, services
from steward.cmdb.attributes import definitions_for
from steward.cmdb.filters import ConfigurationItemFilterSet
from steward.cmdb.forms import AsOfForm, BaselineForm, ConfigurationItemForm, RelationshipForm
from steward.cmdb.models import Baseline, CIType, ConfigurationItem, Relationship
from steward.cmdb.views.common import PER_PAGE, save_form
from steward.core import policy
from steward.core.errors import RuleViolation
from steward.core.paging import CappedPaginator

HISTORY_SHOWN = 50


def _require_reader(user: Person) -> None:
    """The CMDB's pages are for staff who read CIs (requesters see theirs on tickets)."""
    policy.require_model(user, ConfigurationItem, "view")


@login_required
def ci_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    filters = ConfigurationItemFilterSet(
        request.GET, queryset=ConfigurationItem.objects.visible_to(user), request=request
    )
    filters.form.fields["ci_type"].queryset = CIType.objects.order_by("name")
    for name in ("organisation", "support_team", "owner"):
        filters.form.fields[name].widget = forms.HiddenInput()
    rows = filters.qs.select_related("ci_type", "organisation", "support_team").only(
        "name",
        "status",
        "location",
        "serial_number",
        "updated_at",
        "ci_type__name",
        "ci_type__kind",
        "organisation__name",
        "support_team__name",
    )
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "filter_form": filters.form,
        "page": page,
        "may_add": policy.can_add(user, ConfigurationItem),
    }
    return render(request, "cmdb/ci_list.html", context)


def get_ci(user: Person, pk: int) -> ConfigurationItem:
    item: ConfigurationItem = policy.get_for(
        user,
        ConfigurationItem.objects.select_related(
            "ci_type", "ci_type__parent", "organisation", "owner", "support_team"
        ),
        pk,
    )
    return item


def _attribute_rows(item: ConfigurationItem, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Each defined attribute with its value (references as the CI they name)."""
    definitions = definitions_for(item.ci_type)
    refs = [values[d.code] for d in definitions if d.kind == "reference" and d.code in values]
    named = dict(ConfigurationItem.objects.filter(pk__in=refs).values_list("pk", "name"))
    rows = []
    for definition in definitions:
        value = values.get(definition.code)
        row: dict[str, Any] = {"definition": definition, "value": value}
        if definition.kind == "reference" and value is not None:
            row["ref"] = {"pk": value, "name": named.get(value, f"#{value}")}
        rows.append(row)
    known = {d.code for d in definitions}
    for code in sorted(set(values) - known):  # kept from a class the CI had before
        rows.append({"definition": None, "code": code, "value": values[code]})
    return rows


def _relationships(item: ConfigurationItem, user: Person) -> list[dict[str, Any]]:
    """The CI's relationships as sentences read from this CI, other ends it may see only."""
    visible = ConfigurationItem.objects.visible_to(user).only("id")
    rows = (
        Relationship.objects.touching(item)
        .select_related("type", "source__ci_type", "target__ci_type")
        .filter(source__in=visible, target__in=visible)
        .order_by("type__name", "id")
    )
    shown = []
    for rel in rows:
        outgoing = rel.source_id == item.pk
        shown.append(
            {
                "relationship": rel,
                "verb": rel.type.name if outgoing else rel.type.reverse_name,
                "other": rel.target if outgoing else rel.source,
            }
        )
    return shown


def _past(item: ConfigurationItem, request: HttpRequest) -> tuple[AsOfForm, Any]:
    form = AsOfForm(request.GET or None)
    if not request.GET.get("as_of") or not form.is_valid() or not form.cleaned_data["as_of"]:
        return form, None
    state = history.as_of(item, form.cleaned_data["as_of"])
    if state.existed:
        ids = {key: state.fields.get(key) or 0 for key in ("ci_type", "organisation", "owner")}
        team = state.fields.get("support_team") or 0
        state.names = {  # type: ignore[attr-defined]
            "ci_type": CIType.objects.filter(pk=ids["ci_type"]).first(),
            "organisation": Organisation.objects.filter(pk=ids["organisation"]).first(),
            "support_team": Team.objects.filter(pk=team).first(),
            "owner": Person.objects.filter(pk=ids["owner"]).first(),
        }
        state.attribute_rows = _attribute_rows(item, state.attributes)  # type: ignore[attr-defined]
    return form, state


@login_required
def ci_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    item = get_ci(user, pk)
    may_change = policy.can(user, "change", item)
    may_relate = may_change and policy.can_add(user, Relationship)
    as_of_form, past = _past(item, request)
    customers = list(item.customers.visible_to(user).only("id", "name"))
    context = {
        "item": item,
        "attributes": _attribute_rows(item, item.attributes or {}),
        "relationships": _relationships(item, user),
        "customers": customers,
        "may_change": may_change,
        "may_relate": may_relate,
        "relationship_form": RelationshipForm(user=user) if may_relate else None,
        "baseline_form": BaselineForm() if policy.can_add(user, Baseline) else None,
        "history": history.entries_for(item).select_related("actor")[:HISTORY_SHOWN],
        "as_of_form": as_of_form,
        "past": past,
        "now": timezone.now(),
    }
    return render(request, "cmdb/ci_detail.html", context)


@login_required
def ci_create(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_add(user, ConfigurationItem)
    class_id = str(request.POST.get("ci_type") or request.GET.get("ci_type") or "")
    ci_type = CIType.objects.filter(pk=int(class_id)).first() if class_id.isdigit() else None
    if ci_type is None:
        classes = CIType.objects.select_related("parent").order_by("name")
        return render(request, "cmdb/ci_pick_class.html", {"classes": classes})
    form = ConfigurationItemForm(request.POST or None, user=user, ci_type=ci_type)
    return save_form(
        request,
        form,
        lambda: services.create_ci(actor=user, ci_type=ci_type, **form.service_arguments()),
        done="added",
        template="cmdb/ci_form.html",
        context={"item": None, "ci_type": ci_type},
    )


@login_required
def ci_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    item = get_ci(user, pk)
    policy.require(user, "change", item)
    item = (
        ConfigurationItem.objects.prefetch_related(
            Prefetch("customers", queryset=Organisation.objects.only("id", "name"))
        )
        .select_related("ci_type", "owner")
        .get(pk=item.pk)
    )
    form = ConfigurationItemForm(request.POST or None, user=user, ci_type=item.ci_type, item=item)
    return save_form(
        request,
        form,
        lambda: services.update_ci(actor=user, item=item, **form.service_arguments()),
        done="saved",
        template="cmdb/ci_form.html",
        context={"item": item, "ci_type": item.ci_type},
    )


@login_required
@require_POST
def relationship_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    item = get_ci(user, pk)
    policy.require(user, "change", item)
    form = RelationshipForm(request.POST, user=user)
    if form.is_valid():
        other = form.cleaned_data["other"]
        source, target = (item, other) if form.cleaned_data["role"] == "source" else (other, item)
        try:
            rel = services.create_relationship(
                actor=user, source=source, type=form.cleaned_data["type"], target=target
            )
        except RuleViolation as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, f"Added: {rel}.")
    else:
        messages.error(
            request,
            " ".join(
                f"{form.fields[k].label or k}: {' '.join(str(e) for e in v)}"
                for k, v in form.errors.items()
            ),
        )
    return redirect(item)


@login_required
@require_POST
def relationship_delete(request: HttpRequest, pk: int, rel: int) -> HttpResponse:
    user = actor_of(request)
    item = get_ci(user, pk)
    relationship = policy.get_for(user, Relationship.objects.touching(item), rel)
    services.delete_relationship(actor=user, relationship=relationship)
    messages.success(request, f"Removed: {relationship}.")
    return redirect(item)
