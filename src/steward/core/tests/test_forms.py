"""The form renderer writes select boxes itself: the same markup as Django's templates."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from steward.core.forms import StewardFormRenderer

pytestmark = pytest.mark.django_db


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "A"), ("b", 'B "quoted" <b>')])
    grouped = forms.ChoiceField(
        choices=[("Fruit", [("apple", "Apple"), ("pear", "Pear & co")]), ("x", "Other")],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[(1, "One"), (2, "Two"), (3, "Three")])
    typed = forms.TypedChoiceField(choices=[(1, "Low"), (2, "High")], coerce=int, disabled=True)
    text = forms.CharField()


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"plain": "b", "grouped": "pear", "many": ["1", "3"], "typed": "2", "text": "<x>"},
        {"plain": "nope", "grouped": "", "many": [], "text": ""},
    ],
)
def test_selects_are_written_as_the_templates_write_them(data: dict[str, object] | None) -> None:
    ours = Everything(data, renderer=StewardFormRenderer())
    django = Everything(data, renderer=DjangoTemplates())
    if data is not None:
        ours.is_valid(), django.is_valid()
    for name in ours.fields:
        assert str(ours[name]) == str(django[name]), name


def test_a_select_of_many_options_renders_without_a_template_per_option() -> None:
    choices = [(n, f"Team {n}") for n in range(300)]
    field = forms.ChoiceField(choices=choices)

    class Form(forms.Form):
        team = field

    html = str(Form(renderer=StewardFormRenderer())["team"])
    assert html.count("<option") == 300
    assert html == str(Form(renderer=DjangoTemplates())["team"])
