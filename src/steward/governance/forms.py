"""The report forms: a period, a kind and (for KPIs) a grouping."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.governance.services import kpis
from steward.governance.services.lifecycle import kinds


def _kind_choices() -> list[tuple[str, str]]:
    return [(name, str(kind.model._meta.verbose_name_plural)) for name, kind in kinds().items()]


class PeriodForm(forms.Form):
    since = forms.DateField(
        label="From", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    until = forms.DateField(
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text="Up to and including this day.",
    )
    kind = forms.ChoiceField(label="Tickets", choices=_kind_choices, initial="incident")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end is before the start.")
        return cleaned


class KpiForm(PeriodForm):
    group_by = forms.ChoiceField(
        label="Group by",
        required=False,
        choices=[("", "Nothing (totals only)"), *[(g, g.capitalize()) for g in kpis.GROUPS]],
    )
