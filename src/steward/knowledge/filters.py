"""One FilterSet per model, for the web list and the API."""

from __future__ import annotations

import datetime
from typing import Any

import django_filters
from django.db.models import Case, F, FloatField, QuerySet, Value, When
from django.utils import timezone

from steward.knowledge import search
from steward.knowledge.choices import ArticleAudience, ArticleState
from steward.knowledge.models import Article, ArticleVersion, Category

#: Most matches a filtered list ranks (the best ones; a longer query narrows further).
MAX_RANKED = 500


class ArticleFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    state = django_filters.MultipleChoiceFilter(choices=ArticleState.choices)
    audience = django_filters.ChoiceFilter(choices=ArticleAudience.choices)
    category = django_filters.ModelChoiceFilter(queryset=Category.objects.all())
    owner = django_filters.NumberFilter(field_name="owner_id")
    review_due = django_filters.BooleanFilter(method="due", label="Review due")

    class Meta:
        model = Article
        fields = ["q", "state", "audience", "category", "owner", "review_due"]

    def search(self, queryset: QuerySet[Any], name: str, value: str) -> QuerySet[Any]:
        """Full-text search within what the person may read, best first (``search_rank``)."""
        if not value.strip():
            return queryset
        user = getattr(self.request, "user", None)
        found = search.search_ids(user, value, limit=MAX_RANKED)
        if not found:
            return queryset.none().annotate(search_rank=Value(0.0, output_field=FloatField()))
        rank = Case(
            *[When(pk=pk, then=Value(score)) for pk, score in found],
            default=Value(0.0),
            output_field=FloatField(),
        )
        return queryset.filter(pk__in=[pk for pk, _ in found]).annotate(search_rank=rank)

    def due(self, queryset: QuerySet[Any], name: str, value: bool | None) -> QuerySet[Any]:
        if value is None:
            return queryset
        today: datetime.date = timezone.localdate()
        if value:
            return queryset.filter(review_by__lte=today)
        return queryset.exclude(review_by__lte=today)


class ArticleVersionFilterSet(django_filters.FilterSet):
    article = django_filters.NumberFilter(field_name="article_id")

    class Meta:
        model = ArticleVersion
        fields = ["article"]


class CategoryFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Category
        fields = ["name"]


def ranked(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Best match first when the queryset was searched, else most recently updated."""
    if "search_rank" in queryset.query.annotations:
        return queryset.order_by(F("search_rank").desc(), "-updated_at", "-id")
    return queryset.order_by("-updated_at", "-id")
