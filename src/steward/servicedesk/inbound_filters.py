"""FilterSets of e-mail in, shared by the quarantine pages and the API."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet

from steward.servicedesk.models.inbound import InboundMessage, InboundReason, InboundStatus, Mailbox


class InboundMessageFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=InboundStatus.choices)
    reason = django_filters.MultipleChoiceFilter(choices=InboundReason.choices)
    mailbox = django_filters.NumberFilter(field_name="mailbox_id")
    sender = django_filters.CharFilter(field_name="sender", lookup_expr="iexact")
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    received_after = django_filters.IsoDateTimeFilter(field_name="received_at", lookup_expr="gte")

    class Meta:
        model = InboundMessage
        fields = ["q", "status", "reason", "mailbox", "sender", "ticket", "received_after"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(subject__icontains=value) | Q(sender__icontains=value))


class MailboxFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")
    is_enabled = django_filters.BooleanFilter()

    class Meta:
        model = Mailbox
        fields = ["name", "is_enabled"]
