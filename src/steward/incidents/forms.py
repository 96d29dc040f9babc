"""Forms of the incident and interaction pages. They parse input; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.urls import reverse

from steward.accounts.fields import PersonField
from steward.accounts.models import Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.incidents.choices import (
    IncidentContactType,
    InteractionChannel,
    MajorIncidentAudience,
)
from steward.incidents.models import Category
from steward.tickets.choices import Impact, Urgency

MARKDOWN_HELP = "Markdown: **bold**, *italic*, lists, `code`, [links](https://example.org)."


def _people(user: Person) -> Any:
    return Person.objects.visible_to(user).active().order_by("full_name", "id")


def _staff(user: Person) -> Any:
    return _people(user).filter(roles__is_staff_role=True).distinct()


def _teams(user: Person) -> Any:
    return Team.objects.visible_to(user).active().order_by("name")


class IncidentForm(forms.Form):
    """Opening an incident at the service desk."""

    requester = PersonField(label="Caller")
    contact_type = forms.ChoiceField(
        choices=IncidentContactType.choices, initial=IncidentContactType.PHONE
    )
    category = forms.ModelChoiceField(queryset=Category.objects.none(), required=False)
    subcategory = forms.ModelChoiceField(queryset=Category.objects.none(), required=False)
    service = forms.ModelChoiceField(queryset=ConfigurationItem.objects.none(), required=False)
    configuration_item = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Configuration item"
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.LOW)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.LOW)
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text=MARKDOWN_HELP
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        help_text="Leave empty to let the assignment rules route it.",
    )
    assignee = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["requester"].queryset = _people(user)
        categories = Category.objects.visible_to(user).active()
        fields["category"].queryset = categories.roots()
        chosen = str(self.data.get("category") or "") if self.is_bound else ""
        subcategories = categories.filter(parent__isnull=False)
        # Only the chosen category's subcategories (htmx reloads them when it changes).
        fields["subcategory"].queryset = (
            subcategories.filter(parent_id=int(chosen))
            if chosen.isdigit()
            else subcategories.none()
        )
        cis = ConfigurationItem.objects.visible_to(user).operational().select_related("ci_type")
        fields["service"].queryset = cis.services()
        fields["configuration_item"].queryset = cis
        fields["team"].queryset = _teams(user)
        fields["assignee"].queryset = _staff(user)
        # htmx: the subcategories follow the category; the priority follows impact x urgency.
        fields["category"].widget.attrs.update(
            {
                "hx-get": reverse("incidents:subcategory_options"),
                "hx-target": "#subcategory-field",
                "hx-swap": "outerHTML",
                "hx-trigger": "change",
            }
        )
        for name in ("impact", "urgency"):
            fields[name].widget.attrs.update(
                {
                    "hx-get": reverse("incidents:priority_preview"),
                    "hx-include": "[name=impact],[name=urgency]",
                    "hx-target": "#priority-preview",
                    "hx-swap": "outerHTML",
                    "hx-trigger": "change",
                }
            )

    def values(self) -> dict[str, Any]:
        """The fields for ``services.open_incident``, leaving out empty optional choices."""
        data = dict(self.cleaned_data)
        return {k: v for k, v in data.items() if v not in (None, "") or k == "description"}


class ReassignForm(forms.Form):
    prefix = "reassign"

    team = forms.ModelChoiceField(queryset=Team.objects.none())
    assignee = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["team"].queryset = _teams(user)
        fields["assignee"].queryset = _staff(user)


class DeclareMajorForm(forms.Form):
    prefix = "major"

    manager = forms.ModelChoiceField(queryset=Person.objects.none(), label="Major-incident manager")
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why it is major")

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["manager"].queryset = _staff(user)


class StandDownForm(forms.Form):
    prefix = "standdown"

    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Why it stands down")


class MajorUpdateForm(forms.Form):
    prefix = "update"

    audience = forms.ChoiceField(
        choices=MajorIncidentAudience.choices, initial=MajorIncidentAudience.INTERNAL
    )
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), label="Update", help_text=MARKDOWN_HELP
    )


class ChildrenForm(forms.Form):
    prefix = "children"

    numbers = forms.CharField(
        label="Child incidents",
        help_text="Incident numbers, separated by spaces or commas (INC0000012, INC0000015).",
    )

    def clean_numbers(self) -> list[str]:
        raw = self.cleaned_data["numbers"]
        numbers = [n.upper() for n in re.split(r"[\s,;]+", raw) if n.strip()]
        if not numbers:
            raise forms.ValidationError("Give at least one incident number.")
        return list(dict.fromkeys(numbers))


class ReviewForm(forms.Form):
    prefix = "review"

    summary = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    timeline = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    root_cause = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="Root cause notes"
    )
    went_well = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="What went well"
    )
    went_badly = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="What went badly"
    )
    lessons = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Lessons learned"
    )


class ReviewActionForm(forms.Form):
    prefix = "action"

    description = forms.CharField(max_length=300, label="Action")
    owner = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)
    due_on = forms.DateField(
        required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["owner"].queryset = _staff(user)


class InteractionForm(forms.Form):
    """Logging a contact; the button pressed says how it ended (``outcome``)."""

    OUTCOMES = ("open", "resolve", "raise")

    caller = PersonField()
    channel = forms.ChoiceField(choices=InteractionChannel.choices)
    summary = forms.CharField(max_length=200)
    notes = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), help_text=MARKDOWN_HELP
    )
    resolution = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed to resolve it on first contact.",
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(),
        required=False,
        help_text="The desk team taking it (your first team when empty).",
    )

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["caller"].queryset = _people(user)
        fields["team"].queryset = _teams(user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        outcome = self.data.get("outcome", "open")
        if outcome not in self.OUTCOMES:
            raise forms.ValidationError("Choose how the contact ended.")
        cleaned["outcome"] = outcome
        if outcome == "resolve" and not str(cleaned.get("resolution", "")).strip():
            self.add_error("resolution", "Say how it was resolved.")
        return cleaned


class ResolveInteractionForm(forms.Form):
    resolution = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))


class LinkInteractionForm(forms.Form):
    number = forms.CharField(label="Incident number")


class FirstContactResolutionForm(forms.Form):
    since = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Up to and including this day.",
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["team"].queryset = _teams(user)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and until < since:
            self.add_error("until", "The end is before the start.")
        return cleaned
