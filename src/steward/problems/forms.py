"""Forms of the problem pages. They parse input; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from steward.accounts.models import Person, Team
from steward.cmdb.models import ConfigurationItem
from steward.incidents.choices import IncidentResolutionCode
from steward.problems.choices import KT_DIMENSIONS, FaultTreeGate, IshikawaCategory, RcaMethod
from steward.tickets.choices import Impact, Urgency

MARKDOWN_HELP = "Markdown: **bold**, *italic*, lists, `code`, [links](https://example.org)."
LINES_HELP = "One per line."
NUMBERS = re.compile(r"[A-Za-z]{2,5}\d+")


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class ProblemForm(forms.Form):
    """Raising or editing a problem."""

    title = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 6}), help_text=MARKDOWN_HELP
    )
    service = forms.ModelChoiceField(queryset=ConfigurationItem.objects.none(), required=False)
    configuration_item = forms.ModelChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Configuration item"
    )
    impact = forms.TypedChoiceField(choices=Impact.choices, coerce=int, initial=Impact.MEDIUM)
    urgency = forms.TypedChoiceField(choices=Urgency.choices, coerce=int, initial=Urgency.MEDIUM)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    assignee = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, label="Problem owner"
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


class MethodForm(forms.Form):
    """Which analysis method the analysis form shows."""

    method = forms.ChoiceField(choices=RcaMethod.choices, label="Method")


class AnalysisForm(forms.Form):
    """The root-cause analysis in the chosen method's fields, with the root cause and the
    workaround it found. ``data()`` shapes the method's fields for the service."""

    root_cause = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 4}), help_text=MARKDOWN_HELP
    )
    workaround = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="How to restore service until the fix is in. " + MARKDOWN_HELP,
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, method: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.method = method
        area: dict[str, Any] = {"widget": forms.Textarea(attrs={"rows": 3}), "required": False}
        add = self.fields.__setitem__
        if method == RcaMethod.FIVE_WHYS:
            add("problem_statement", forms.CharField(max_length=2000, label="Problem statement"))
            for n in range(1, 6):
                add(f"why_{n}", forms.CharField(max_length=2000, required=n == 1, label=f"Why {n}"))
        elif method == RcaMethod.ISHIKAWA:
            add("effect", forms.CharField(max_length=2000, label="Effect (the problem)"))
            for category in IshikawaCategory:
                add(
                    f"cause_{category.value}",
                    forms.CharField(label=category.label, help_text=LINES_HELP, **area),
                )
        elif method == RcaMethod.KEPNER_TREGOE:
            for key, label in KT_DIMENSIONS.items():
                add(
                    f"{key}_is",
                    forms.CharField(label=f"{label}: is", max_length=2000, required=key == "what"),
                )
                add(
                    f"{key}_is_not",
                    forms.CharField(label=f"{label}: is not", max_length=2000, required=False),
                )
            add(
                "possible_causes",
                forms.CharField(label="Possible causes", help_text=LINES_HELP, **area),
            )
            add(
                "most_probable_cause", forms.CharField(max_length=2000, label="Most probable cause")
            )
        elif method == RcaMethod.FAULT_TREE:
            add("top_event", forms.CharField(max_length=2000, label="Top event"))
            gates = ", ".join(FaultTreeGate.values)
            add(
                "events",
                forms.CharField(
                    widget=forms.Textarea(attrs={"rows": 6}),
                    label="Events",
                    help_text=(
                        "One event per line: id | parent id (empty: under the top event) | "
                        f"gate ({gates}) | description."
                    ),
                ),
            )
        # The analysis fields first, then the root cause and workaround it led to.
        order = [n for n in self.fields if n not in ("root_cause", "workaround", "version")]
        self.order_fields([*order, "root_cause", "workaround", "version"])

    def data_for_service(self) -> dict[str, Any]:
        c = self.cleaned_data
        if self.method == RcaMethod.FIVE_WHYS:
            return {
                "problem_statement": c["problem_statement"],
                "whys": [c[f"why_{n}"] for n in range(1, 6) if c.get(f"why_{n}")],
            }
        if self.method == RcaMethod.ISHIKAWA:
            return {
                "effect": c["effect"],
                "causes": {cat.value: _lines(c[f"cause_{cat.value}"]) for cat in IshikawaCategory},
            }
        if self.method == RcaMethod.KEPNER_TREGOE:
            spec = {k: {"is": c[f"{k}_is"], "is_not": c[f"{k}_is_not"]} for k in KT_DIMENSIONS}
            return {
                **spec,
                "possible_causes": _lines(c["possible_causes"]),
                "most_probable_cause": c["most_probable_cause"],
            }
        nodes = []
        for line in _lines(c["events"]):
            parts = [part.strip() for part in line.split("|")]
            if len(parts) != 4:
                self.add_error("events", f"Four parts separated by | are needed: {line!r}")
                continue
            node_id, parent, gate, label = parts
            nodes.append({"id": node_id, "parent": parent, "gate": gate or "basic", "label": label})
        return {"top_event": c["top_event"], "nodes": nodes}

    @staticmethod
    def initial_from(method: str, data: dict[str, Any]) -> dict[str, Any]:
        """The form's initial values from a stored analysis of ``method``."""
        if method == RcaMethod.FIVE_WHYS:
            whys = data.get("whys", [])
            return {
                "problem_statement": data.get("problem_statement", ""),
                **{f"why_{n}": whys[n - 1] for n in range(1, len(whys) + 1)},
            }
        if method == RcaMethod.ISHIKAWA:
            causes = data.get("causes", {})
            return {
                "effect": data.get("effect", ""),
                **{f"cause_{k}": "\n".join(v) for k, v in causes.items()},
            }
        if method == RcaMethod.KEPNER_TREGOE:
            initial: dict[str, Any] = {
                "possible_causes": "\n".join(data.get("possible_causes", [])),
                "most_probable_cause": data.get("most_probable_cause", ""),
            }
            for key in KT_DIMENSIONS:
                initial[f"{key}_is"] = data.get(key, {}).get("is", "")
                initial[f"{key}_is_not"] = data.get(key, {}).get("is_not", "")
            return initial
        if method == RcaMethod.FAULT_TREE:
            lines = [
                f"{n['id']} | {n.get('parent', '')} | {n['gate']} | {n['label']}"
                for n in data.get("nodes", [])
            ]
            return {"top_event": data.get("top_event", ""), "events": "\n".join(lines)}
        return {}


class FixForm(forms.Form):
    reference = forms.CharField(
        max_length=100,
        required=False,
        label="Fixing change",
        help_text="The change's number (linked when it is a ticket here) or a reference elsewhere.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkIncidentsForm(forms.Form):
    """Incidents by number (pasted) or by id (ticked in a search)."""

    numbers = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Incident numbers",
        help_text="Separated by spaces, commas or new lines.",
    )
    incident = forms.TypedMultipleChoiceField(
        coerce=int, required=False, choices=(), widget=forms.MultipleHiddenInput
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Ids come from the search the page showed; the service checks each one.
        ticked = self.data.getlist("incident") if hasattr(self.data, "getlist") else []
        field: Any = self.fields["incident"]
        field.choices = [(v, v) for v in ticked if str(v).isdigit()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        cleaned["numbers"] = [n.upper() for n in NUMBERS.findall(cleaned.get("numbers") or "")]
        if not cleaned["numbers"] and not cleaned.get("incident"):
            raise forms.ValidationError("Choose at least one incident.")
        return cleaned


class LinkProblemForm(forms.Form):
    """Linking an incident to its problem, from the incident's page."""

    number = forms.CharField(max_length=32, label="Problem number")


class ResolveIncidentsForm(forms.Form):
    resolution_code = forms.ChoiceField(
        choices=IncidentResolutionCode.choices, initial=IncidentResolutionCode.RESOLVED_BY_CHANGE
    )
    resolution = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Written on every incident resolved. " + MARKDOWN_HELP,
    )


class ProposalAcceptForm(forms.Form):
    title = forms.CharField(max_length=200, label="Problem title")
    version = forms.IntegerField(widget=forms.HiddenInput)


class ProposalDismissForm(forms.Form):
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why these incidents do not make a problem (kept; the cluster comes back "
        "only if it grows).",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class DetectForm(forms.Form):
    window_days = forms.IntegerField(min_value=1, max_value=366, label="Window (days)")
    threshold = forms.IntegerField(min_value=2, max_value=10_000, label="At least (incidents)")
