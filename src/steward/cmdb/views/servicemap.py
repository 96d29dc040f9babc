"""The service map page: an SVG drawn on the server, panned, zoomed and explored in the
browser by the project's own small script (``cmdb/service-map.js``)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import actor_of
from steward.cmdb import servicemap
from steward.cmdb.choices import MAX_IMPACT_DEPTH
from steward.cmdb.views.items import _require_reader, get_ci


@login_required
def service_map(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    _require_reader(user)
    item = get_ci(user, pk)
    depth = request.GET.get("depth", "4")
    depth_value = int(depth) if depth.isdigit() else 4
    depth_value = max(1, min(MAX_IMPACT_DEPTH, depth_value))
    limit = request.GET.get("limit", "")
    limit_value = int(limit) if limit.isdigit() else servicemap.DEFAULT_NODES
    result = servicemap.build(user=user, item=item, depth=depth_value, limit=limit_value)
    context = {
        "item": item,
        "map": result,
        "node_width": servicemap.NODE_WIDTH,
        "node_height": servicemap.NODE_HEIGHT,
        "depths": range(1, MAX_IMPACT_DEPTH + 1),
        "limit": max(2, min(servicemap.MAX_NODES, limit_value)),
    }
    return render(request, "cmdb/service_map.html", context)
