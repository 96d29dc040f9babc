"""Forms of the knowledge pages; they parse, the services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.apps import apps

from steward.accounts.fields import PersonField
from steward.accounts.models import Person
from steward.cmdb.models import ConfigurationItem
from steward.core import policy
from steward.knowledge.choices import ArticleAudience
from steward.knowledge.models import Article, Category


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text="Markdown: **bold**, *italic*, lists, `code`, [links](https://example.org).",
    )
    audience = forms.ChoiceField(choices=ArticleAudience.choices)
    category = forms.ModelChoiceField(queryset=Category.objects.all(), required=False)
    owner = PersonField(required=False, help_text="Who keeps it right; you if left empty.")
    review_by = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="Review by"
    )
    services = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False
    )
    configuration_items = forms.ModelMultipleChoiceField(
        queryset=ConfigurationItem.objects.none(), required=False, label="Configuration items"
    )
    problems = forms.CharField(
        required=False,
        max_length=2000,
        label="Problems and known errors",
        help_text="Numbers, like PRB0000012 PRB0000031: the problems this article explains "
        "or works around.",
    )
    note = forms.CharField(max_length=200, required=False, label="What changed")

    def __init__(
        self, *args: Any, user: Person, article: Article | None = None, **kwargs: Any
    ) -> None:
        if article is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": article.title,
                "body": article.body,
                "audience": article.audience,
                "category": article.category_id,
                "owner": article.owner,
                "review_by": article.review_by,
                "services": list(article.services.values_list("pk", flat=True)),
                "configuration_items": list(
                    article.configuration_items.values_list("pk", flat=True)
                ),
                "problems": " ".join(
                    p.number for p in linked_problems(article, user).order_by("number")
                ),
            }
        super().__init__(*args, **kwargs)
        self.user = user
        fields: Any = self.fields
        cis = ConfigurationItem.objects.visible_to(user).select_related("ci_type")
        fields["services"].queryset = cis.services()
        fields["configuration_items"].queryset = cis
        fields["owner"].queryset = Person.objects.visible_to(user).filter(is_active=True)
        if not policy.has_model_permission(user, problem_model(), "view"):
            del fields["problems"]  # who sees no problems links none (and unlinks none)

    def clean_problems(self) -> list[Any]:
        numbers = list(
            dict.fromkeys(
                n.upper() for n in PROBLEM_NUMBER.findall(self.cleaned_data.get("problems") or "")
            )
        )
        rest = PROBLEM_NUMBER.sub("", self.cleaned_data.get("problems") or "")
        if rest.replace(",", " ").strip():
            raise forms.ValidationError(
                "Give problem numbers like PRB0000012, separated by spaces."
            )
        found = {
            p.number: p
            for p in problem_model().objects.visible_to(self.user).filter(number__in=numbers)
        }
        missing = [n for n in numbers if n not in found]
        if missing:
            raise forms.ValidationError(f"No such problem: {', '.join(missing)}.")
        return [found[n] for n in numbers]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.get("owner") is None:
            data.pop("owner", None)
        return data


PROBLEM_NUMBER = re.compile(r"PRB\d+", re.IGNORECASE)


def problem_model() -> Any:
    """Problems, by name: knowledge links to them without importing the problems app."""
    return apps.get_model("problems", "Problem")


def linked_problems(article: Article, user: Any) -> Any:
    """The problems linked to ``article`` that ``user`` may see (none for requesters)."""
    return policy.scope(article.problems.all(), user, "view")


class AttachmentForm(forms.Form):
    file = forms.FileField()


class ResolveWithArticleForm(forms.Form):
    article = forms.CharField(label="Article", max_length=20, help_text="KB00012 or 12")
    resolution = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_article(self) -> int:
        text = str(self.cleaned_data["article"]).strip().upper().removeprefix("KB")
        if not text.isdigit():
            raise forms.ValidationError("Give the article's number, like KB00012.")
        return int(text)


class CategoryForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
