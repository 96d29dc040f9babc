"""Forms of the service level pages. They parse; the services judge."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.accounts.models import Organisation, Team
from steward.cmdb.models import ConfigurationItem
from steward.sla import actions
from steward.sla.choices import AgreementKind, ChangePolicy, DurationUnit, TargetMetric
from steward.sla.models import WEEKDAYS, Agreement, BusinessCalendar
from steward.sla.services.definitions import CONDITION_FIELDS, default_conditions, kind_choices
from steward.tickets.choices import Priority


def _words(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class BusinessCalendarForm(forms.Form):
    name = forms.CharField(max_length=120)
    time_zone = forms.CharField(max_length=64, initial="UTC", help_text="e.g. Europe/Berlin")
    holiday_country = forms.CharField(max_length=8, required=False, help_text="e.g. DE, US")
    holiday_subdivision = forms.CharField(max_length=16, required=False, help_text="e.g. BY")
    closures = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Closure days, YYYY-MM-DD, separated by commas.",
    )

    def __init__(self, *args: Any, calendar: BusinessCalendar | None = None, **kwargs: Any):
        if calendar is not None and not kwargs.get("data") and not args:
            hours = calendar.hours or {}
            kwargs["initial"] = {
                "name": calendar.name,
                "time_zone": calendar.time_zone,
                "holiday_country": calendar.holiday_country,
                "holiday_subdivision": calendar.holiday_subdivision,
                "closures": ", ".join(calendar.closures or []),
                **{f"day_{d}": ", ".join(hours.get(str(d), [])) for d in range(7)},
            }
        super().__init__(*args, **kwargs)
        for day, label in enumerate(WEEKDAYS):
            self.fields[f"day_{day}"] = forms.CharField(
                label=label,
                required=False,
                help_text="Ranges like 08:00-12:00, 13:00-17:00" if day == 0 else "",
            )

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"].strip(),
            "holiday_country": data["holiday_country"].strip().upper(),
            "holiday_subdivision": data["holiday_subdivision"].strip().upper(),
            "closures": _words(data["closures"]),
            "hours": {
                str(d): _words(data[f"day_{d}"]) for d in range(7) if _words(data[f"day_{d}"])
            },
        }


class AgreementForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.SlugField(max_length=50)
    kind = forms.ChoiceField(choices=AgreementKind.choices)
    customer = forms.ModelChoiceField(
        Organisation.objects.none(), required=False, help_text="SLAs: the customer."
    )
    team = forms.ModelChoiceField(Team.objects.none(), required=False, help_text="OLAs: the team.")
    supplier = forms.ModelChoiceField(
        Organisation.objects.none(), required=False, help_text="Underpinning contracts."
    )
    services = forms.ModelMultipleChoiceField(
        ConfigurationItem.objects.none(), required=False, help_text="None: every service."
    )
    calendar = forms.ModelChoiceField(BusinessCalendar.objects.none())
    supports = forms.ModelMultipleChoiceField(
        Agreement.objects.none(), required=False, help_text="OLAs and contracts: the SLAs."
    )
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    change_policy = forms.ChoiceField(
        choices=ChangePolicy.choices,
        help_text="When a change mid-ticket (priority, service) selects another target.",
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    is_active = forms.BooleanField(required=False, initial=True)

    def __init__(self, *args: Any, user: Any, agreement: Agreement | None = None, **kwargs: Any):
        if agreement is not None and not args and not kwargs.get("data"):
            kwargs["initial"] = {
                **{
                    name: getattr(agreement, name)
                    for name in self.base_fields
                    if name not in ("services", "supports")
                },
                "services": list(agreement.services.all()),
                "supports": list(agreement.supports.all()),
            }
        super().__init__(*args, **kwargs)
        from steward.core import policy

        orgs = policy.scope(Organisation.objects.all(), user, "view")
        fields: Any = self.fields
        fields["customer"].queryset = orgs.exclude(kind="supplier")
        fields["supplier"].queryset = orgs.filter(kind="supplier")
        fields["team"].queryset = policy.scope(Team.objects.active(), user, "view")
        fields["services"].queryset = policy.scope(
            ConfigurationItem.objects.services(), user, "view"
        )
        fields["calendar"].queryset = policy.scope(BusinessCalendar.objects.all(), user, "view")
        slas = policy.scope(Agreement.objects.filter(kind=AgreementKind.SLA), user, "view")
        fields["supports"].queryset = slas.exclude(pk=agreement.pk) if agreement else slas

    def service_arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TargetForm(forms.Form):
    name = forms.CharField(max_length=120, required=False, help_text="Default: the metric.")
    metric = forms.ChoiceField(choices=TargetMetric.choices)
    ticket_kind = forms.ChoiceField(choices=())
    priority = forms.TypedChoiceField(choices=Priority.choices, coerce=int)
    category = forms.CharField(
        max_length=50, required=False, help_text="A category code, or empty."
    )
    duration = forms.IntegerField(help_text="More than zero.")
    unit = forms.ChoiceField(choices=DurationUnit.choices, initial=DurationUnit.HOURS)
    start_states = forms.CharField(required=False, help_text="Empty: starts when it applies.")
    pause_states = forms.CharField(required=False)
    stop_states = forms.CharField(required=False)
    cancel_states = forms.CharField(required=False)
    warning_thresholds = forms.CharField(required=False, help_text="Percentages, e.g. 50, 75, 90.")
    warning_actions = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )
    breach_actions = forms.MultipleChoiceField(
        choices=(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, target: Any = None, **kwargs: Any) -> None:
        if not args and not kwargs.get("data"):
            if target is not None:
                initial = {name: getattr(target, name) for name in self.base_fields}
            else:
                initial = {"ticket_kind": "incidents.incident", "warning_thresholds": "75"}
                initial.update(default_conditions("incidents.incident"))
                initial["warning_actions"] = ["notify"] if "notify" in actions.names() else []
            for name in (*CONDITION_FIELDS, "warning_thresholds"):
                value = initial.get(name)
                if isinstance(value, list):
                    initial[name] = ", ".join(str(v) for v in value)
            kwargs["initial"] = initial
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["ticket_kind"].choices = kind_choices()
        fields["warning_actions"].choices = actions.choices()
        fields["breach_actions"].choices = actions.choices()
        for name in CONDITION_FIELDS:
            fields[name].help_text = (
                fields[name].help_text
                + " State codes, e.g. on_hold; on_hold:awaiting_caller for one reason only."
            ).strip()

    def clean_warning_thresholds(self) -> list[int]:
        try:
            return [int(p) for p in _words(self.cleaned_data["warning_thresholds"])]
        except ValueError:
            raise forms.ValidationError("Whole percentages, e.g. 50, 75, 90.") from None

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in CONDITION_FIELDS:
            data[name] = _words(data[name])
        return data


class ComplianceForm(forms.Form):
    since = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="From")
    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), label="To")
    split = forms.MultipleChoiceField(
        choices=(("service", "by service"), ("customer", "by customer")),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Split",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["until"] < data["since"]:
            self.add_error("until", "The end is before the start.")
        return data
