"""The agent's queue ("My work") and the requester's own tickets."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from steward.accounts.models import Person, Team
from steward.core import policy, workflow
from steward.core.paging import CappedPaginator
from steward.tickets import search
from steward.tickets.filters import TicketFilterSet
from steward.tickets.models import Ticket

PER_PAGE = 50
#: Filters that work from links and bookmarks but would crowd the form.
HIDDEN_FILTERS = (
    "kind",
    "state",
    "is_open",
    "assignee",
    "requester",
    "organisation",
    "service",
    "configuration_item",
    "opened_after",
    "opened_before",
)
SORTS = {
    "priority": ("priority", "opened_at", "id"),
    "-priority": ("-priority", "-opened_at", "-id"),
    "age": ("opened_at", "id"),
    "-age": ("-opened_at", "-id"),
    "updated": ("-updated_at", "-id"),
    "number": ("number",),
}
#: Best match first; offered while searching (``search_rank`` comes from the ``q`` filter).
RANKED = ("-search_rank", "-opened_at", "-id")


def _list_rows(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return queryset.select_related("requester", "assignee", "team", "service").only(
        "number",
        "kind",
        "title",
        "priority",
        "state",
        "state_category",
        "opened_at",
        "updated_at",
        "requester__full_name",
        "requester__email",
        "assignee__full_name",
        "assignee__email",
        "team__name",
        "service__name",
    )


def _listing(
    request: HttpRequest,
    base: QuerySet[Ticket],
    template: str,
    defaults: dict[str, str] | None = None,
    **context: Any,
) -> HttpResponse:
    data = request.GET.copy()
    if "is_open" not in data and "state_category" not in data:
        data["is_open"] = "true"
    for name, value in (defaults or {}).items():
        data.setdefault(name, value)
    filters = TicketFilterSet(data, queryset=base, request=request)
    searching = bool(data.get("q", "").strip())
    sort = request.GET.get("sort", "rank" if searching else "priority")
    if sort == "rank" and not searching:
        sort = "priority"
    sorts = {**SORTS, "rank": RANKED} if searching else SORTS
    rows = _list_rows(filters.qs).order_by(*sorts.get(sort, SORTS["priority"]))
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    labels = workflow.state_labels()
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.state_label = labels.get(row.state, row.state)
    for name in HIDDEN_FILTERS:
        filters.form.fields[name].widget = forms.HiddenInput()
    context.update(
        {
            "filter_form": filters.form,
            "page": page,
            "sort": sort,
            "sorts": sorts,
            "searching": searching,
            "search_cap": search.MAX_RANKED,
        }
    )
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "tickets/_ticket_rows.html", context)
    return render(request, template, context)


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """Open work across every ticket kind: mine, my teams', unassigned in my teams."""
    user = request.user
    assert isinstance(user, Person)
    if not policy.has_model_permission(user, Ticket, "view"):
        return my_tickets(request)  # requesters have no queue: their own tickets instead
    teams = Team.objects.filter(memberships__person=user).order_by("name")
    defaults = {}
    if not any(k in request.GET for k in ("queue", "team", "assignee", "q")):
        defaults["queue"] = "teams" if teams.exists() else "mine"
    return _listing(
        request,
        Ticket.objects.visible_to(user),
        "tickets/queue.html",
        defaults=defaults,
        teams=teams,
    )


@login_required
def my_tickets(request: HttpRequest) -> HttpResponse:
    """The tickets somebody asked for (or watches): the requester's own list."""
    user = request.user
    assert isinstance(user, Person)
    base = Ticket.objects.visible_to(user).filter(requester=user) | Ticket.objects.visible_to(
        user
    ).filter(watcher_rows__person=user)
    return _listing(request, base.distinct(), "tickets/my_tickets.html")
