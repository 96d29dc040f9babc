"""Web forms of the CMDB. They parse; ``cmdb.services`` decides (its RuleViolations come back
onto the form field by field, attribute errors onto their ``attr_<code>`` fields)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from steward.accounts.fields import PersonField
from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Organisation, Person, Team
from steward.cmdb.attributes import definitions_for
from steward.cmdb.choices import (
    MAX_IMPACT_DEPTH,
    AttributeKind,
    CIStatus,
    CITypeKind,
    ImpactDirection,
    ImpactWay,
)
from steward.cmdb.models import AttributeDefinition, CIType, ConfigurationItem, RelationshipType
from steward.core.errors import RuleViolation

ATTR_PREFIX = "attr_"
DATE = forms.DateInput(attrs={"type": "date"})


def _field_for(name: str) -> str:
    return (
        ATTR_PREFIX + name.removeprefix("attributes.") if name.startswith("attributes.") else name
    )


def apply_violation(form: forms.Form, exc: RuleViolation) -> None:
    """Show a service's refusal on the form: ``attributes.<code>`` on ``attr_<code>``."""
    apply_rule_violation(form, exc, _field_for)


class CIReferenceField(forms.CharField):
    """A CI among those the person may see, named by its exact name or ``#id``."""

    def __init__(self, *, queryset: QuerySet[ConfigurationItem], **kwargs: Any) -> None:
        kwargs.setdefault("help_text", "The CI's exact name, or # and its id (#42).")
        super().__init__(**kwargs)
        self.queryset = queryset

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, ConfigurationItem):
            return f"#{value.pk}"
        if isinstance(value, int):
            return f"#{value}"
        return value

    def clean(self, value: Any) -> ConfigurationItem | None:
        text = str(super().clean(value) or "").strip()
        if not text:
            return None
        if text.startswith("#") and text[1:].isdigit():
            found = self.queryset.filter(pk=int(text[1:])).first()
            if found is None:
                raise forms.ValidationError(f"No CI {text} is within your reach.")
            return found
        matches = list(self.queryset.filter(name__iexact=text)[:2])
        if not matches:
            raise forms.ValidationError(f"No CI called {text!r} is within your reach.")
        if len(matches) > 1:
            raise forms.ValidationError(f"Several CIs are called {text!r}: give # and the id.")
        return matches[0]


def attribute_field(
    definition: AttributeDefinition, cis: QuerySet[ConfigurationItem]
) -> forms.Field:
    """The form field for one attribute; the service validates the value again."""
    common: dict[str, Any] = {
        "label": definition.label,
        "required": definition.required and definition.kind != AttributeKind.BOOLEAN,
        "help_text": definition.help_text,
    }
    kind = definition.kind
    if kind == AttributeKind.INTEGER:
        return forms.IntegerField(**common)
    if kind == AttributeKind.DECIMAL:
        return forms.DecimalField(**common)
    if kind == AttributeKind.BOOLEAN:
        return forms.NullBooleanField(
            widget=forms.Select(choices=[("unknown", "—"), ("true", "Yes"), ("false", "No")]),
            **common,
        )
    if kind == AttributeKind.DATE:
        return forms.DateField(widget=DATE, **common)
    if kind == AttributeKind.CHOICE:
        choices = [("", "—"), *[(c, c) for c in definition.choices]]
        return forms.ChoiceField(choices=choices, **common)
    if kind == AttributeKind.REFERENCE:
        if not common["help_text"]:
            del common["help_text"]  # the field's own hint: name or #id
        return CIReferenceField(queryset=cis, **common)
    if kind == AttributeKind.IP_ADDRESS:
        return forms.GenericIPAddressField(**common)
    if kind == AttributeKind.URL:
        return forms.URLField(assume_scheme="https", **common)
    return forms.CharField(max_length=1000, **common)


class ConfigurationItemForm(forms.Form):
    """A CI of one class: its fields, asset data and the class's attributes."""

    name = forms.CharField(max_length=200)
    status = forms.ChoiceField(choices=CIStatus.choices, initial=CIStatus.DEPLOYED)
    organisation = forms.ModelChoiceField(
        queryset=Organisation.objects.none(),
        required=False,
        help_text="The customer the CI belongs to; empty for shared CIs.",
    )
    support_team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    location = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    serial_number = forms.CharField(max_length=100, required=False)
    vendor = forms.CharField(max_length=100, required=False)
    purchase_date = forms.DateField(required=False, widget=DATE)
    cost = forms.DecimalField(max_digits=12, decimal_places=2, required=False)
    warranty_end = forms.DateField(required=False, widget=DATE)
    contract = forms.CharField(max_length=100, required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        user: Person,
        ci_type: CIType,
        item: ConfigurationItem | None = None,
    ) -> None:
        initial: dict[str, Any] = {}
        if item is not None:
            for name in self.base_fields:
                initial[name] = getattr(item, name)
            initial["owner"] = item.owner
            initial["customers"] = list(item.customers.all())
            for code, value in (item.attributes or {}).items():
                initial[ATTR_PREFIX + code] = value
        super().__init__(data, initial=initial)
        self.ci_type = ci_type
        organisations = Organisation.objects.visible_to(user).filter(is_active=True)
        self.fields["organisation"].queryset = organisations  # type: ignore[attr-defined]
        self.fields["support_team"].queryset = Team.objects.visible_to(user).filter(  # type: ignore[attr-defined]
            is_active=True
        )
        self.fields["owner"] = PersonField(queryset=Person.objects.visible_to(user), required=False)
        if ci_type.is_service:
            self.fields["customers"] = forms.ModelMultipleChoiceField(
                queryset=organisations,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                help_text="The organisations this service is delivered to.",
            )
        cis = ConfigurationItem.objects.visible_to(user)
        self.definitions = definitions_for(ci_type)
        for definition in self.definitions:
            field = attribute_field(definition, cis)
            if (
                definition.kind == AttributeKind.BOOLEAN
                and ATTR_PREFIX + definition.code in initial
            ):
                value = initial[ATTR_PREFIX + definition.code]
                self.initial[ATTR_PREFIX + definition.code] = "true" if value else "false"
            if (
                definition.kind == AttributeKind.REFERENCE
                and ATTR_PREFIX + definition.code in initial
            ):
                self.initial[ATTR_PREFIX + definition.code] = (
                    f"#{initial[ATTR_PREFIX + definition.code]}"
                )
            self.fields[ATTR_PREFIX + definition.code] = field

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(ATTR_PREFIX)]

    def detail_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(ATTR_PREFIX)]

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        values = {name: data[name] for name in data if not name.startswith(ATTR_PREFIX)}
        attributes: dict[str, Any] = {}
        for definition in self.definitions:
            value = data.get(ATTR_PREFIX + definition.code)
            if value is None or value == "":
                continue
            if isinstance(value, ConfigurationItem):
                value = value.pk
            attributes[definition.code] = value
        values["attributes"] = attributes
        return values


def _names(text: str) -> list[str]:
    """Comma-separated source names, as typed (the service checks them)."""
    return [part.strip().lower() for part in text.split(",") if part.strip()]


class CITypeForm(forms.Form):
    code = forms.SlugField(max_length=50)
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=CITypeKind.choices)
    parent = forms.ModelChoiceField(queryset=CIType.objects.all(), required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    identified_by = forms.CharField(
        required=False,
        help_text="Codes that identify a CI of this class when importing, comma-separated "
        "(serial_number, hostname).",
    )
    source_precedence = forms.CharField(
        required=False,
        help_text="Sources of attribute values, most trusted first, comma-separated (manual, "
        "discovery, import). Empty: the parent's, else manual, import, discovery.",
    )

    def __init__(self, data: Any = None, *, ci_type: CIType | None = None) -> None:
        initial: dict[str, Any] = {}
        if ci_type is not None:
            initial = {
                name: getattr(ci_type, name)
                for name in ("code", "name", "kind", "parent", "description")
            }
            initial["identified_by"] = ", ".join(ci_type.identified_by)
            initial["source_precedence"] = ", ".join(ci_type.source_precedence)
        super().__init__(data, initial=initial)
        if ci_type is not None:
            self.fields["code"].disabled = True
            self.fields["parent"].queryset = CIType.objects.exclude(pk=ci_type.pk)  # type: ignore[attr-defined]

    def service_arguments(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["identified_by"] = [
            part.strip() for part in values["identified_by"].split(",") if part.strip()
        ]
        values["source_precedence"] = _names(values["source_precedence"])
        return values

    def changes(self) -> dict[str, Any]:
        values = self.service_arguments()
        values.pop("code")
        return values


class AttributeDefinitionForm(forms.Form):
    code = forms.SlugField(max_length=50, help_text="Lower case, digits and underscores.")
    label = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=AttributeKind.choices, label="Type")
    required = forms.BooleanField(required=False)
    unique = forms.BooleanField(required=False)
    choices = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a choice: one value per line.",
    )
    reference_type = forms.ModelChoiceField(
        queryset=CIType.objects.all(), required=False, label="Refers to class"
    )
    help_text = forms.CharField(max_length=200, required=False)
    position = forms.IntegerField(min_value=0, initial=0)
    source_precedence = forms.CharField(
        required=False,
        help_text="Sources of this attribute's values, most trusted first, comma-separated. "
        "Empty: the class's order.",
    )

    def __init__(self, data: Any = None, *, definition: AttributeDefinition | None = None) -> None:
        initial: dict[str, Any] = {}
        if definition is not None:
            initial = {name: getattr(definition, name) for name in self.base_fields}
            initial["choices"] = "\n".join(definition.choices)
            initial["source_precedence"] = ", ".join(definition.source_precedence)
        super().__init__(data, initial=initial)
        if definition is not None:
            self.fields["code"].disabled = True

    def service_arguments(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values["choices"] = [
            line.strip() for line in values["choices"].splitlines() if line.strip()
        ]
        values["source_precedence"] = _names(values["source_precedence"])
        return values

    def changes(self) -> dict[str, Any]:
        values = self.service_arguments()
        values.pop("code")
        return values


class RelationshipTypeForm(forms.Form):
    code = forms.SlugField(max_length=50)
    name = forms.CharField(max_length=100, help_text='Read from the source: "runs on".')
    reverse_name = forms.CharField(max_length=100, help_text='Read from the target: "hosts".')
    impact = forms.ChoiceField(choices=ImpactDirection.choices)
    acyclic = forms.BooleanField(required=False, label="Refuse loops")
    source_types = forms.ModelMultipleChoiceField(
        queryset=CIType.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any class.",
    )
    target_types = forms.ModelMultipleChoiceField(
        queryset=CIType.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: any class.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(
        self, data: Any = None, *, relationship_type: RelationshipType | None = None
    ) -> None:
        initial: dict[str, Any] = {}
        if relationship_type is not None:
            initial = {
                name: getattr(relationship_type, name)
                for name in ("code", "name", "reverse_name", "impact", "acyclic", "description")
            }
            initial["source_types"] = list(relationship_type.source_types.all())
            initial["target_types"] = list(relationship_type.target_types.all())
        super().__init__(data, initial=initial)
        if relationship_type is not None:
            self.fields["code"].disabled = True

    def changes(self) -> dict[str, Any]:
        values = dict(self.cleaned_data)
        values.pop("code")
        return values


class RelationshipForm(forms.Form):
    """A relationship from (or to) the CI whose page this is."""

    type = forms.ModelChoiceField(queryset=RelationshipType.objects.all(), label="Relationship")
    role = forms.ChoiceField(
        choices=[("source", "This CI is the source"), ("target", "This CI is the target")],
        initial="source",
        label="Direction",
    )

    def __init__(self, data: Any = None, *, user: Person) -> None:
        super().__init__(data)
        self.fields["other"] = CIReferenceField(
            queryset=ConfigurationItem.objects.visible_to(user), label="Other CI"
        )


class ImpactForm(forms.Form):
    direction = forms.ChoiceField(choices=ImpactWay.choices, initial=ImpactWay.DOWNSTREAM)
    depth = forms.IntegerField(min_value=1, max_value=MAX_IMPACT_DEPTH, initial=3)


class AsOfForm(forms.Form):
    as_of = forms.DateTimeField(
        label="As of",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Show the CI as it was at this time.",
    )


class ImportForm(forms.Form):
    file = forms.FileField(help_text="CSV (UTF-8, a header row) or JSON.")
    format = forms.ChoiceField(
        choices=[("", "From the file name"), ("csv", "CSV"), ("json", "JSON")], required=False
    )
    source = forms.CharField(
        max_length=50,
        required=False,
        initial="import",
        help_text="Where the data comes from (import, discovery, ...). Values set by a more "
        "trusted source (manual edits first) are kept.",
    )
    dry_run = forms.BooleanField(
        required=False, initial=True, label="Dry run: report what would happen, write nothing"
    )
    apply_valid = forms.BooleanField(
        required=False, label="Apply the valid rows even if others are refused"
    )


class BaselineForm(forms.Form):
    name = forms.CharField(max_length=200)
    depth = forms.IntegerField(
        min_value=1,
        max_value=MAX_IMPACT_DEPTH,
        initial=5,
        help_text="How many steps of what the CI relies on to include.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
