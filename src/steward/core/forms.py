"""How forms render: Django's template renderer, with select boxes written in Python.

Django renders every ``<option>`` through two template includes; a select of 125 teams costs
about 250 includes, most of the time of a list page with filters. ``StewardFormRenderer``
writes ``select.html`` and its options directly, producing the same markup (a test compares
the two), and leaves every other widget to the templates.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

SELECT = "django/forms/widgets/select.html"
OPTION = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict[str, Any]) -> str:
    """As ``attrs.html``: ``False`` leaves it out, ``True`` writes the bare name."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(str(value))}"')
    return "".join(parts)


def _option(option: dict[str, Any]) -> str:
    return (
        f'<option value="{conditional_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
        f"{conditional_escape(option['label'])}</option>"
    )


def render_select(widget: dict[str, Any]) -> SafeString:
    html = [format_html('<select name="{}"', widget["name"]), _attrs(widget["attrs"]), ">"]
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            html.append(format_html('\n  <optgroup label="{}">', group_name))
        for option in group_choices:
            if option.get("template_name", OPTION) != OPTION:
                return SafeString("")  # a custom option template: let the templates do it
            html.append("\n  " + _option(option) + "\n")  # the option template's newline
        if group_name:
            html.append("\n  </optgroup>")
    html.append("\n</select>")
    return mark_safe("".join(html))  # noqa: S308  every value above is escaped


class StewardFormRenderer(DjangoTemplates):
    """The project's form renderer (``settings.FORM_RENDERER``)."""

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == SELECT:
            rendered = render_select(context["widget"])
            if rendered:
                return rendered
        return super().render(template_name, context, request)
