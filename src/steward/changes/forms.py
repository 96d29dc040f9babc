"""Forms of the change pages. They parse input; services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from steward.accounts.models import Person, Team
from steward.changes.choices import (
    ApprovalPath,
    ApprovalRule,
    BoardKind,
    ChangeTaskState,
    ChangeType,
    Decision,
    Outcome,
)
from steward.changes.models import ApprovalBoard, Change, ChangeTemplate, RiskQuestion
from steward.cmdb.models import ConfigurationItem
from steward.tickets.choices import Impact, Urgency

MARKDOWN_HELP = "Markdown: **bold**, *italic*, lists, `code`, [links](https://example.org)."
WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
WHEN_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]


def _text(rows: int = 4, help_text: str = MARKDOWN_HELP) -> forms.CharField:
    return forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": rows}), help_text=help_text
    )


def _when(label: str, required: bool = False) -> forms.DateTimeField:
    return forms.DateTimeField(
        label=label, required=required, widget=WHEN, input_formats=WHEN_FORMATS
    )


def _staff(user: Person) -> Any:
    return (
        Person.objects.visible_to(user)
        .active()
        .filter(roles__is_staff_role=True)
        .distinct()
        .order_by("full_name", "id")
    )


class ChangeForm(forms.Form):
    """Raising (normal or emergency) or editing a change."""

    change_type = forms.ChoiceField(
        choices=[(ChangeType.NORMAL, "Normal"), (ChangeType.EMERGENCY, "Emergency")],
        initial=ChangeType.NORMAL,
        label="Type",
    )
    title = forms.CharField(max_length=200)
    description = _text(4)
    justification = _text(3)
    implementation_plan = _text(6)
    backout_plan = _text(4)
    test_plan = _text(4)
    planned_start = _when("Planned start")
    planned_end = _when("Planned end")
    service = forms.ModelChoiceField(queryset=ConfigurationItem.objects.none(), required=False)
    configuration_item = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Primary CI"
    )
    affected_cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(),
        required=False,
        label="Affected configuration items",
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.MEDIUM)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="Change owner"
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Person, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        cis = ConfigurationItem.objects.visible_to(user).operational().select_related("ci_type")
        fields["service"].queryset = cis.services()
        fields["configuration_item"].queryset = cis
        fields["affected_cis"].queryset = cis
        fields["team"].queryset = Team.objects.visible_to(user).active().order_by("name")
        fields["assignee"].queryset = _staff(user)
        if editing:
            del fields["change_type"]

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


class StandardChangeForm(forms.Form):
    """Raising a standard change from an approved template."""

    template = forms.ModelChoiceField(queryset=ChangeTemplate.objects.none())
    title = forms.CharField(max_length=200, required=False, help_text="Empty: the template's.")
    planned_start = _when("Planned start", required=True)
    planned_end = _when("Planned end", required=True)
    affected_cis = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Affected CIs"
    )

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["template"].queryset = ChangeTemplate.objects.usable().order_by("name")
        fields["affected_cis"].queryset = ConfigurationItem.objects.visible_to(user).operational()


class RiskForm(forms.Form):
    """One choice per active risk question."""

    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, questions: list[RiskQuestion], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for question in questions:
            self.fields[f"q{question.pk}"] = forms.TypedChoiceField(
                label=question.text,
                help_text=question.help_text,
                coerce=int,
                widget=forms.RadioSelect,
                choices=[
                    (o.pk, f"{o.label} ({o.points})")
                    for o in question.options.all()  # prefetched, in order
                ],
            )

    def answers(self) -> dict[int, int]:
        return {
            int(name[1:]): int(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("q") and value is not None
        }


class ReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices)
    review_notes = _text(6, "What went well, what did not, what to change. " + MARKDOWN_HELP)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TaskForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = _text(2)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(queryset=Person.objects.none(), required=False)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["team"].queryset = Team.objects.visible_to(user).active().order_by("name")
        fields["assignee"].queryset = _staff(user)


class TaskStateForm(forms.Form):
    state = forms.ChoiceField(choices=ChangeTaskState.choices)
    position = forms.IntegerField(required=False, min_value=1)


class VoteForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices, widget=forms.HiddenInput)
    comment = forms.CharField(required=False, max_length=5000, widget=forms.TextInput)
    on_behalf_of = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, widget=forms.HiddenInput
    )
    revision = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["on_behalf_of"].queryset = Person.objects.active()


TASKS_HELP = "One task per line, in order: the title, then optionally ' | ' and a description."


class TemplateForm(forms.Form):
    name = forms.CharField(max_length=200)
    description = _text(3, "When to use it. " + MARKDOWN_HELP)
    title = forms.CharField(max_length=200, required=False, label="Title of its changes")
    change_description = _text(3)
    justification = _text(2)
    implementation_plan = _text(5)
    backout_plan = _text(3)
    test_plan = _text(3)
    service = forms.ModelChoiceField(queryset=ConfigurationItem.objects.none(), required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    tasks = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 5}), help_text=TASKS_HELP
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["service"].queryset = (
            ConfigurationItem.objects.visible_to(user).operational().services()
        )
        fields["team"].queryset = Team.objects.visible_to(user).active().order_by("name")

    def clean_tasks(self) -> list[dict[str, str]]:
        steps = []
        for line in (self.cleaned_data.get("tasks") or "").splitlines():
            if not line.strip():
                continue
            title, _, description = line.partition("|")
            step = {"title": title.strip()[:200]}
            if description.strip():
                step["description"] = description.strip()
            steps.append(step)
        return steps

    @staticmethod
    def tasks_text(tasks: list[dict[str, str]]) -> str:
        return "\n".join(
            t["title"] + (f" | {t['description']}" if t.get("description") else "") for t in tasks
        )

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "version"}


OPTIONS_HELP = "One answer per line: the label, ' | ', and its points (e.g. 'Yes | 20')."


class QuestionForm(forms.Form):
    text = forms.CharField(max_length=300)
    help_text = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    position = forms.IntegerField(min_value=0, initial=1)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    options = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), help_text=OPTIONS_HELP)

    def clean_options(self) -> list[tuple[str, int]]:
        parsed = []
        for line in self.cleaned_data["options"].splitlines():
            if not line.strip():
                continue
            label, sep, points = line.rpartition("|")
            if not sep or not points.strip().isdigit():
                raise forms.ValidationError(f"“{line.strip()}”: write 'label | points'.")
            parsed.append((label.strip(), int(points.strip())))
        return parsed


class RiskSettingsForm(forms.Form):
    moderate_from = forms.IntegerField(min_value=0, label="Moderate from (score)")
    high_from = forms.IntegerField(min_value=0, label="High from (score)")
    impact_per_service = forms.IntegerField(min_value=0, label="Points per affected service")
    impact_cap = forms.IntegerField(min_value=0, label="Most impact points")
    critical_low = forms.IntegerField(min_value=0, label="Extra points: criticality low")
    critical_medium = forms.IntegerField(min_value=0, label="… medium")
    critical_high = forms.IntegerField(min_value=0, label="… high")
    critical_critical = forms.IntegerField(min_value=0, label="… critical")
    history_months = forms.IntegerField(min_value=1, label="History window (months)")
    history_weight = forms.IntegerField(min_value=0, label="Points for a 100% failure rate")
    history_minimum = forms.IntegerField(min_value=0, label="Reviewed changes needed")

    LEVELS = ("low", "medium", "high", "critical")

    @classmethod
    def initial_from(cls, settings: dict[str, Any]) -> dict[str, Any]:
        initial = {k: v for k, v in settings.items() if k != "criticality_points"}
        for level in cls.LEVELS:
            initial[f"critical_{level}"] = settings["criticality_points"][level]
        return initial

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["criticality_points"] = {lvl: data.pop(f"critical_{lvl}") for lvl in self.LEVELS}
        return data


class BoardForm(forms.Form):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=BoardKind.choices)
    rule = forms.ChoiceField(choices=ApprovalRule.choices)
    quorum = forms.IntegerField(required=False, min_value=1)
    paths = forms.MultipleChoiceField(
        choices=ApprovalPath.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Asked on",
    )
    members = forms.ModelMultipleChoiceField(queryset=Person.objects.none(), required=False)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["members"].queryset = _staff(user)


class DelegationForm(forms.Form):
    delegate = forms.ModelChoiceField(queryset=Person.objects.none())
    starts_at = _when("From")
    ends_at = _when("Until", required=False)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["delegate"].queryset = _staff(user).exclude(pk=user.pk)
        fields["ends_at"].help_text = "Empty: for as long as you are marked away."


class MeetingForm(forms.Form):
    board = forms.ModelChoiceField(queryset=ApprovalBoard.objects.filter(is_active=True))
    starts_at = _when("When", required=True)
    location = forms.CharField(max_length=200, required=False)
    notes = _text(3)
    agenda = forms.ModelMultipleChoiceField(queryset=Change.objects.none(), required=False)

    def __init__(self, *args: Any, user: Person, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["agenda"].queryset = (
            Change.objects.visible_to(user).exclude(state_category="closed").order_by("number")
        )


class ReportForm(forms.Form):
    since = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))
