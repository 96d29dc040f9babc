"""Impact analysis pages: from a CI, and the panel of services an incident hits."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import actor_of
from steward.cmdb import impact
from steward.cmdb.forms import ImpactForm
from steward.cmdb.models import ConfigurationItem
from steward.cmdb.views.items import _require_reader, get_ci
from steward.core import policy

#: How far the ticket panel looks from the incident's CI.
PANEL_DEPTH = 5


@login_required
def ci_impact(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    item = get_ci(user, pk)
    form = ImpactForm({"direction": "downstream", "depth": "3", **request.GET.dict()})
    result = None
    status = 200
    if form.is_valid():
        result = impact.analyse(
            user=user,
            item=item,
            way=form.cleaned_data["direction"],
            depth=form.cleaned_data["depth"],
        )
    else:
        status = 400
    context = {"item": item, "form": form, "result": result}
    return render(request, "cmdb/ci_impact.html", context, status=status)


def incident_panel_context(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """The business services an incident hits: those reached downstream from its CI, and
    the service it names. Shown to people who may read CIs."""
    user = actor_of(request)
    if not policy.has_model_permission(user, ConfigurationItem, "view"):
        return None
    visible = ConfigurationItem.objects.visible_to(user).select_related("ci_type")
    origin = visible.filter(pk=ticket.configuration_item_id).first()
    named = visible.filter(pk=ticket.service_id).first()
    if origin is None and named is None:
        return None
    result = impact.analyse(user=user, item=origin, depth=PANEL_DEPTH) if origin else None
    services = list(result.services) if result else []
    if named is not None and named.ci_type.is_service and named.pk not in {s.pk for s in services}:
        named.depth = 0  # type: ignore[attr-defined]
        named.affected_customers = list(named.customers.all())  # type: ignore[attr-defined]
        if named.organisation_id:
            named.affected_customers.append(named.organisation)  # type: ignore[attr-defined]
        services.insert(0, named)
    customers: dict[int, Any] = {}
    for service in services:
        for organisation in service.affected_customers:  # type: ignore[attr-defined]
            customers.setdefault(organisation.pk, organisation)
    return {
        "origin": origin,
        "services": services,
        "customers": sorted(customers.values(), key=lambda o: o.name),
        "reached": result.total if result else 0,
        "depth": PANEL_DEPTH,
    }


@login_required
def quality(request: HttpRequest) -> HttpResponse:
    """The data-quality report of the CIs the person may see."""
    from steward.cmdb.quality import LIMIT, quality_report

    user = actor_of(request)
    _require_reader(user)
    context = {"report": quality_report(user=user), "limit": LIMIT}
    return render(request, "cmdb/quality.html", context)
