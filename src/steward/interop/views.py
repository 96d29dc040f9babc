"""Administration > Imports: the import runs and what each did (importing stays a CLI action:
the files are on the server)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.errors import NotFound
from steward.core.paging import CappedPaginator
from steward.interop.filters import ImportRunFilterSet
from steward.interop.models import ImportRun

PER_PAGE = 50


@login_required
def importrun_list(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, ImportRun)
    rows = ImportRun.objects.visible_to(user).order_by("-started_at", "-id")
    filters = ImportRunFilterSet(request.GET or None, queryset=rows)
    page = CappedPaginator(filters.qs, PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "interop/importrun_list.html", {"filters": filters, "page": page})


@login_required
def importrun_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    policy.require_model(user, ImportRun)
    run = ImportRun.objects.visible_to(user).filter(pk=pk).first()
    if run is None:
        raise NotFound("import run not found")
    context = {
        "run": run,
        "counts": sorted(run.counts.items()),
        "warnings": run.summary.get("warnings", []),
    }
    return render(request, "interop/importrun_detail.html", context)
