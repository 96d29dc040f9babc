"""FilterSets of service level management (UI and API)."""

from __future__ import annotations

import django_filters

from steward.sla.choices import AgreementKind, ClockState, TargetMetric
from steward.sla.models import Agreement, BusinessCalendar, SlaClock, Target
from steward.tickets.choices import Priority


class BusinessCalendarFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = BusinessCalendar
        fields = ["name", "time_zone"]


class AgreementFilterSet(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=AgreementKind.choices)
    name = django_filters.CharFilter(lookup_expr="icontains")
    customer = django_filters.NumberFilter(field_name="customer_id")
    team = django_filters.NumberFilter(field_name="team_id")
    supplier = django_filters.NumberFilter(field_name="supplier_id")
    service = django_filters.NumberFilter(field_name="services")

    class Meta:
        model = Agreement
        fields = ["kind", "name", "customer", "team", "supplier", "service", "is_active"]


class TargetFilterSet(django_filters.FilterSet):
    agreement = django_filters.NumberFilter(field_name="agreement_id")
    metric = django_filters.MultipleChoiceFilter(choices=TargetMetric.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)

    class Meta:
        model = Target
        fields = ["agreement", "metric", "ticket_kind", "priority"]


class SlaClockFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    agreement = django_filters.NumberFilter(field_name="agreement_id")
    target = django_filters.NumberFilter(field_name="target_id")
    state = django_filters.MultipleChoiceFilter(choices=ClockState.choices)
    due_before = django_filters.IsoDateTimeFilter(field_name="due_at", lookup_expr="lt")

    class Meta:
        model = SlaClock
        fields = ["ticket", "agreement", "target", "state", "is_breached", "due_before"]
