"""The managers' satisfaction report: averages and distributions per team and per month, and
the latest comments, over the ratings the person may see (aggregated in the database)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import actor_of
from steward.core.errors import Forbidden
from steward.servicedesk import satisfaction
from steward.servicedesk.filters import SatisfactionRatingFilterSet


@login_required
def satisfaction_report(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    if not user.has_perm(satisfaction.REPORT_PERMISSION):
        raise Forbidden("Only service desk managers see the satisfaction report.")
    filters = SatisfactionRatingFilterSet(
        request.GET or None, queryset=satisfaction.ratings_for(user), request=request
    )
    ratings = filters.qs
    context = {
        "filter_form": filters.form,
        "overall": satisfaction.overall(ratings),
        "teams": satisfaction.per_team(ratings),
        "months": satisfaction.per_month(ratings),
        "comments": satisfaction.latest_comments(ratings),
    }
    return render(request, "servicedesk/satisfaction_report.html", context)
