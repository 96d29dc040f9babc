"""FilterSets for notification templates and outbound e-mail (UI and API)."""

from __future__ import annotations

import django_filters

from steward.servicedesk.models.outbound import (
    NotificationEvent,
    NotificationTemplate,
    OutboundEmail,
    OutboundStatus,
)


class NotificationTemplateFilterSet(django_filters.FilterSet):
    event = django_filters.ChoiceFilter(choices=NotificationEvent.choices)
    ticket_kind = django_filters.CharFilter()
    is_enabled = django_filters.BooleanFilter()

    class Meta:
        model = NotificationTemplate
        fields = ["event", "ticket_kind", "is_enabled"]


class OutboundEmailFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    ticket_number = django_filters.CharFilter(
        field_name="ticket__number", lookup_expr="iexact", label="Ticket number"
    )
    status = django_filters.MultipleChoiceFilter(choices=OutboundStatus.choices)
    event = django_filters.ChoiceFilter(choices=NotificationEvent.choices)
    recipient = django_filters.CharFilter(
        field_name="recipient_address", lookup_expr="icontains", label="Recipient"
    )

    class Meta:
        model = OutboundEmail
        fields = ["ticket", "ticket_number", "status", "event", "recipient"]
