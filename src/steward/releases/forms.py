"""Forms of the release and media-library pages. They parse input; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from steward.accounts.models import Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.releases.choices import (
    ArtefactState,
    DeploymentState,
    Environment,
    ReleaseType,
)
from steward.releases.models import DmlArtefact

MARKDOWN_HELP = "Markdown: **bold**, *italic*, lists, `code`, [links](https://example.org)."
NUMBERS = re.compile(r"[A-Za-z]{2,5}\d+")
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ReleaseForm(forms.Form):
    """Planning or editing a release."""

    title = forms.CharField(max_length=200)
    release_version = forms.CharField(max_length=50, label="Version")
    release_type = forms.ChoiceField(choices=ReleaseType.choices, label="Type")
    planned_start = forms.DateTimeField(required=False, widget=WHEN)
    planned_end = forms.DateTimeField(required=False, widget=WHEN)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text=MARKDOWN_HELP
    )
    service = forms.ModelChoiceField(queryset=ConfigurationItem.objects.none(), required=False)
    configuration_item = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Configuration item"
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="Release owner"
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        cis = ConfigurationItem.objects.visible_to(user).operational().select_related("ci_type")
        fields["service"].queryset = cis.services()
        fields["configuration_item"].queryset = cis
        fields["team"].queryset = Team.objects.visible_to(user).active().order_by("name")
        fields["assignee"].queryset = (
            Person.objects.visible_to(user)
            .active()
            .filter(roles__is_staff_role=True)
            .distinct()
            .order_by("full_name", "id")
        )

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


def artefact_choices(user: Person) -> Any:
    """Artefacts a release may name: visible to ``user`` and not retired."""
    return (
        DmlArtefact.objects.visible_to(user)
        .exclude(state=ArtefactState.RETIRED)
        .order_by("name", "artefact_version")
    )


class ArtefactChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj} ({obj.get_state_display().lower()})"


class ReleaseArtefactsForm(forms.Form):
    """The DML artefacts a release ships."""

    artefacts = ArtefactChoiceField(
        queryset=DmlArtefact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Artefacts",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["artefacts"].queryset = artefact_choices(user)  # type: ignore[attr-defined]


class ReleaseChangesForm(forms.Form):
    """The changes a release groups, by number (the list replaces the current one)."""

    numbers = forms.CharField(
        required=False,
        label="Change numbers",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Separated by spaces, commas or lines, e.g. CHG0000012 CHG0000015.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_numbers(self) -> list[str]:
        text: str = self.cleaned_data["numbers"] or ""
        leftover = NUMBERS.sub("", text).replace(",", " ").split()
        if leftover:
            raise forms.ValidationError(f"Not a change number: {leftover[0]}")
        return list(dict.fromkeys(n.upper() for n in NUMBERS.findall(text)))


class DeploymentForm(forms.Form):
    """Planning a deployment of a release to one environment."""

    environment = forms.ChoiceField(choices=Environment.choices)
    artefacts = ArtefactChoiceField(
        queryset=DmlArtefact.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: the release's own artefacts.",
    )
    planned_at = forms.DateTimeField(required=False, widget=WHEN, label="Planned for")
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["artefacts"].queryset = artefact_choices(user)  # type: ignore[attr-defined]


class DeploymentMoveForm(forms.Form):
    """Start a deployment, record its outcome or roll it back."""

    to = forms.ChoiceField(choices=DeploymentState.choices)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)


class ArtefactForm(forms.Form):
    """Registering an artefact: by its metadata, or by a file whose checksum is computed."""

    name = forms.CharField(max_length=200)
    artefact_version = forms.CharField(max_length=50, label="Version")
    file = forms.FileField(
        required=False,
        help_text="Upload the file to compute its SHA-256 and size; or give them below.",
    )
    checksum = forms.CharField(max_length=71, required=False, label="SHA-256 checksum")
    size_bytes = forms.IntegerField(min_value=0, required=False, label="Size in bytes")
    location = forms.CharField(max_length=500, label="Storage location", help_text="URI or path.")
    licence = forms.CharField(max_length=100, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("file"):
            missing = {
                name: "Give it, or upload the file."
                for name in ("checksum", "size_bytes")
                if data.get(name) in (None, "")
            }
            for name, message in missing.items():
                self.add_error(name, message)
        return data


class ArtefactEditForm(forms.Form):
    """Editing an artefact's metadata (identity only while it is a draft)."""

    name = forms.CharField(max_length=200)
    artefact_version = forms.CharField(max_length=50, label="Version")
    checksum = forms.CharField(max_length=71, label="SHA-256 checksum")
    size_bytes = forms.IntegerField(min_value=0, label="Size in bytes")
    location = forms.CharField(max_length=500, label="Storage location")
    licence = forms.CharField(max_length=100, required=False)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class VerifyForm(forms.Form):
    """Checking a file against the library (against one artefact, or by its checksum)."""

    file = forms.FileField(label="File to verify")


class ArtefactMoveForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
