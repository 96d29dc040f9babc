"""Baselines: taking one from a CI's page, the list, and a baseline compared with now or
with another baseline."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.models import actor_of
from steward.cmdb import services
from steward.cmdb.forms import BaselineForm
from steward.cmdb.models import Baseline
from steward.cmdb.views.common import PER_PAGE
from steward.cmdb.views.items import _require_reader, get_ci
from steward.core import policy
from steward.core.errors import RuleViolation
from steward.core.paging import CappedPaginator


@login_required
def baseline_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    rows = Baseline.objects.visible_to(user).select_related("root", "created_by")
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "cmdb/baseline_list.html", {"page": page})


@login_required
@require_POST
def baseline_create(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    item = get_ci(user, pk)
    form = BaselineForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Name the baseline and give a depth from 1 to 10.")
        return redirect(item)
    try:
        baseline = services.create_baseline(actor=user, root=item, **form.cleaned_data)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(item)
    messages.success(request, f"Baseline {baseline} taken.")
    return redirect(baseline)


@login_required
def baseline_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    baseline = policy.get_for(user, Baseline.objects.select_related("root", "created_by"), pk)
    others = (
        Baseline.objects.visible_to(user).exclude(pk=baseline.pk).only("id", "name", "created_at")
    )
    other = None
    other_id = request.GET.get("other", "")
    if other_id.isdigit():
        other = policy.get_for(user, Baseline.objects.all(), int(other_id))
    difference = None
    error = ""
    try:
        difference = services.compare_baseline(baseline=baseline, other=other)
    except RuleViolation as exc:
        error = " ".join(exc.messages)
    context = {
        "baseline": baseline,
        "item_count": baseline.items.count(),
        "others": others[:100],
        "other": other,
        "difference": difference,
        "error": error,
    }
    return render(request, "cmdb/baseline_detail.html", context)
