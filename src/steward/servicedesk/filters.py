"""The FilterSet of satisfaction ratings, used by the report page and the API."""

from __future__ import annotations

import django_filters

from steward.servicedesk.models.satisfaction import SCORE_LABELS, SatisfactionRating
from steward.tickets.filters import _visible_teams


class SatisfactionRatingFilterSet(django_filters.FilterSet):
    ticket = django_filters.NumberFilter(field_name="ticket_id")
    team = django_filters.ModelChoiceFilter(field_name="ticket__team", queryset=_visible_teams)
    score = django_filters.MultipleChoiceFilter(
        choices=[(score, f"{score} {label}") for score, label in SCORE_LABELS.items()]
    )
    rated_after = django_filters.IsoDateTimeFilter(field_name="rated_at", lookup_expr="gte")
    rated_before = django_filters.IsoDateTimeFilter(field_name="rated_at", lookup_expr="lt")

    class Meta:
        model = SatisfactionRating
        fields = ["ticket", "team", "score", "rated_after", "rated_before"]
