"""FilterSets shared by the agent's queue, the ticket lists and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from steward.accounts.models import Team
from steward.core.workflow import Category
from steward.tickets.choices import LinkType, Priority
from steward.tickets.models import Attachment, Comment, Ticket, TicketLink, TimeEntry
from steward.tickets.search import search_tickets


def _visible_teams(request: Any) -> QuerySet[Team]:
    user = getattr(request, "user", None)
    teams: QuerySet[Team] = Team.objects.visible_to(user).order_by("name")
    return teams


QUEUE_CHOICES = [
    ("mine", "Assigned to me"),
    ("teams", "My teams"),
    ("unassigned", "Unassigned in my teams"),
]
CATEGORY_CHOICES = [(code, Category.LABELS[code]) for code in Category.ALL]


class TicketFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    queue = django_filters.ChoiceFilter(choices=QUEUE_CHOICES, method="in_queue", label="Queue")
    kind = django_filters.CharFilter(field_name="kind")
    state = django_filters.CharFilter(field_name="state")
    state_category = django_filters.MultipleChoiceFilter(choices=CATEGORY_CHOICES, label="Status")
    is_open = django_filters.BooleanFilter(method="open_or_not", label="Open")
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    team = django_filters.ModelChoiceFilter(field_name="team", queryset=_visible_teams)
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    requester = django_filters.NumberFilter(field_name="requester_id")
    organisation = django_filters.NumberFilter(field_name="organisation_id")
    service = django_filters.NumberFilter(field_name="service_id")
    configuration_item = django_filters.NumberFilter(field_name="configuration_item_id")
    opened_after = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="gte")
    opened_before = django_filters.IsoDateTimeFilter(field_name="opened_at", lookup_expr="lt")

    class Meta:
        model = Ticket
        fields = [
            "q",
            "queue",
            "kind",
            "state",
            "state_category",
            "is_open",
            "priority",
            "team",
            "assignee",
            "requester",
            "organisation",
            "service",
            "configuration_item",
            "opened_after",
            "opened_before",
        ]

    def filter_queryset(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        """Every other filter first, then the search: it ranks the newest matches of what
        the other filters leave (``search.MAX_RANKED``), not of all tickets."""
        query = self.form.cleaned_data.get("q") or ""
        for name, value in self.form.cleaned_data.items():
            if name != "q":
                queryset = self.filters[name].filter(queryset, value)
        return self.search(queryset, "q", query)

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """Full-text search, best match first (``search_rank``; lists may sort otherwise)."""
        value = value.strip()
        if not value:
            return queryset
        return search_tickets(getattr(self.request, "user", None), value, base=queryset)

    def open_or_not(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        if value:
            return queryset.filter(state_category__in=Category.OPEN)
        return queryset.exclude(state_category__in=Category.OPEN)

    def in_queue(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return queryset.none()
        teams = Team.objects.filter(memberships__person=user).values("pk")
        if value == "mine":
            return queryset.filter(assignee=user)
        if value == "teams":
            return queryset.filter(team__in=teams)
        if value == "unassigned":
            return queryset.filter(team__in=teams, assignee__isnull=True)
        return queryset


class CommentFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    is_public = django_filters.BooleanFilter()

    class Meta:
        model = Comment
        fields = ["ticket", "is_public"]


class TicketLinkFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(method="touching", label="Ticket")
    link_type = django_filters.ChoiceFilter(choices=LinkType.choices)

    class Meta:
        model = TicketLink
        fields = ["ticket", "link_type"]

    def touching(self, queryset: QuerySet[Any], name: str, value: int) -> QuerySet[Any]:
        return queryset.filter(Q(source_id=value) | Q(target_id=value))


class TimeEntryFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    person = django_filters.NumberFilter(field_name="person_id")
    billable = django_filters.BooleanFilter()
    spent_after = django_filters.DateFilter(field_name="spent_on", lookup_expr="gte")
    spent_before = django_filters.DateFilter(field_name="spent_on", lookup_expr="lte")

    class Meta:
        model = TimeEntry
        fields = ["ticket", "person", "billable", "spent_after", "spent_before"]


class AttachmentFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")

    class Meta:
        model = Attachment
        fields = ["ticket"]
