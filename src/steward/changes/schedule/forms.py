"""Forms of the schedule pages. They parse; the services decide."""

from __future__ import annotations

from html import escape
from typing import Any

from django import forms
from django.utils.safestring import mark_safe

from steward.accounts.models import Team
from steward.changes.choices import ChangeType
from steward.changes.models_schedule import (
    MAX_HOPS,
    WEEKDAY_NAMES,
    BlackoutWindow,
    ConflictAction,
    MaintenanceWindow,
    WindowKind,
)
from steward.cmdb.models import ConfigurationItem

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class MaintenanceWindowForm(forms.Form):
    name = forms.CharField(max_length=200)
    configuration_item = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), label="CI or service"
    )
    kind = forms.ChoiceField(choices=WindowKind.choices, initial=WindowKind.RECURRING)
    weekdays = forms.TypedMultipleChoiceField(
        choices=list(enumerate(WEEKDAY_NAMES)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Weekly windows: the days they start on.",
    )
    start_time = forms.TimeField(required=False, widget=TIME)
    end_time = forms.TimeField(
        required=False, widget=TIME, help_text="At or before the start: runs past midnight."
    )
    time_zone = forms.CharField(max_length=64, initial="UTC")
    starts_at = forms.DateTimeField(required=False, widget=DATETIME, label="Starts (one-off)")
    ends_at = forms.DateTimeField(required=False, widget=DATETIME, label="Ends (one-off)")
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any, window: MaintenanceWindow | None = None, **kw: Any):
        if window is not None:
            kw["initial"] = {
                name: getattr(window, name)
                for name in (
                    "name",
                    "kind",
                    "weekdays",
                    "start_time",
                    "end_time",
                    "time_zone",
                    "starts_at",
                    "ends_at",
                    "description",
                )
            } | {"configuration_item": window.configuration_item_id}
        super().__init__(*args, **kw)
        field = self.fields["configuration_item"]
        field.queryset = ConfigurationItem.objects.visible_to(user).operational()  # type: ignore[attr-defined]


class BlackoutWindowForm(forms.Form):
    name = forms.CharField(max_length=200)
    service = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        empty_label="All changes",
        help_text="Empty: the freeze covers every change.",
    )
    starts_at = forms.DateTimeField(widget=DATETIME)
    ends_at = forms.DateTimeField(widget=DATETIME)
    policy = forms.ChoiceField(choices=ConflictAction.choices, initial=ConflictAction.BLOCK)
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, user: Any, blackout: BlackoutWindow | None = None, **kw: Any):
        if blackout is not None:
            kw["initial"] = {
                "name": blackout.name,
                "service": blackout.service_id,
                "starts_at": blackout.starts_at,
                "ends_at": blackout.ends_at,
                "policy": blackout.policy,
                "reason": blackout.reason,
            }
        super().__init__(*args, **kw)
        services = ConfigurationItem.objects.visible_to(user).operational().services()
        self.fields["service"].queryset = services  # type: ignore[attr-defined]


class SchedulePolicyForm(forms.Form):
    same_ci = forms.ChoiceField(choices=ConflictAction.choices, label="Another change, same CI")
    related_ci = forms.ChoiceField(
        choices=ConflictAction.choices, label="Another change, related CI"
    )
    outside_window = forms.ChoiceField(
        choices=ConflictAction.choices, label="Outside the maintenance window"
    )
    hops = forms.IntegerField(
        min_value=1, max_value=MAX_HOPS, help_text="How far in the CMDB a related CI may be."
    )


class OverrideForm(forms.Form):
    planned_start = forms.DateTimeField(widget=DATETIME)
    planned_end = forms.DateTimeField(widget=DATETIME)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class ManyOptionsSelect(forms.Select):
    """A select of thousands of (id, name) options, written directly: Django's widget
    builds a dict per option and costs half a second for 3,000 services."""

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> Any:
        chosen = "" if value is None else str(value)
        final = self.build_attrs(self.attrs, attrs)
        ident = escape(str(final.get("id", f"id_{name}")))
        options = [
            f'<option value="{escape(str(key))}"{" selected" if str(key) == chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in self.choices
        ]
        html = f'<select name="{escape(name)}" id="{ident}">{"".join(options)}</select>'
        return mark_safe(html)  # noqa: S308  every value escaped above


class CalendarFilterForm(forms.Form):
    """The calendar's filters. Choices are read as (id, name) pairs: an estate has thousands
    of services, and the calendar is the page everyone opens."""

    service = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, widget=ManyOptionsSelect
    )
    team = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    change_type = forms.ChoiceField(
        choices=[("", "Any type"), *ChangeType.choices], required=False, label="Type"
    )

    def __init__(self, *args: Any, user: Any, **kw: Any):
        super().__init__(*args, **kw)
        services = ConfigurationItem.objects.visible_to(user).services().order_by("name", "id")
        teams = Team.objects.visible_to(user).order_by("name")
        service = self.fields["service"]
        team = self.fields["team"]
        assert isinstance(service, forms.ChoiceField) and isinstance(team, forms.ChoiceField)
        service.choices = [("", "Any service"), *services.values_list("pk", "name")]
        team.choices = [("", "Any team"), *teams.values_list("pk", "name")]
