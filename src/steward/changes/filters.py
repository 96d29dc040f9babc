"""FilterSets for changes (UI and API)."""

from __future__ import annotations

import django_filters

from steward.changes.choices import ChangeState, ChangeType, Outcome, RiskClass
from steward.changes.models import Change
from steward.tickets.filters import TicketFilterSet


class ChangeFilterSet(TicketFilterSet):
    change_state = django_filters.MultipleChoiceFilter(
        field_name="state", choices=ChangeState.choices, label="State"
    )
    change_type = django_filters.MultipleChoiceFilter(choices=ChangeType.choices, label="Type")
    risk_class = django_filters.MultipleChoiceFilter(choices=RiskClass.choices, label="Risk")
    outcome = django_filters.MultipleChoiceFilter(choices=Outcome.choices)
    template = django_filters.NumberFilter(field_name="template_id")
    affected_ci = django_filters.NumberFilter(field_name="affected_cis", label="Affected CI")
    planned_after = django_filters.IsoDateTimeFilter(
        field_name="planned_end", lookup_expr="gt", label="Planned to end after"
    )
    planned_before = django_filters.IsoDateTimeFilter(
        field_name="planned_start", lookup_expr="lt", label="Planned to start before"
    )

    class Meta(TicketFilterSet.Meta):
        model = Change
        fields = [
            *TicketFilterSet.Meta.fields,
            "change_state",
            "change_type",
            "risk_class",
            "outcome",
            "template",
            "affected_ci",
            "planned_after",
            "planned_before",
        ]
