"""Downloads of event logs from the web (the variant page links here with its period)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from steward.accounts.models import actor_of
from steward.core.errors import NotFound
from steward.governance.forms import PeriodForm
from steward.governance.models import VIEW_KPIS
from steward.governance.services.kpis import day_range
from steward.interop import exporters


@login_required
def export(request: HttpRequest, log_format: str) -> HttpResponseBase:
    user = actor_of(request)
    if not user.has_perm(VIEW_KPIS) or log_format not in exporters.FORMATS:
        raise NotFound("page not found")
    form = PeriodForm(request.GET)
    if not form.is_valid():
        errors = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
        return HttpResponse(errors, status=400, content_type="text/plain")
    data = form.cleaned_data
    since, until = day_range(data["since"], data["until"])
    pieces = exporters.export(
        actor=user, format=log_format, since=since, until=until, kind=data["kind"]
    )
    response = StreamingHttpResponse(pieces, content_type=exporters.FORMATS[log_format][1])
    name = exporters.filename(log_format, data["kind"], since, until)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
