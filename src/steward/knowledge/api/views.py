"""API endpoints of the knowledge base. Writes go through ``knowledge.services``.

Articles change state through their ``transition`` action; ``search`` ranks by relevance and
``suggest`` answers a typed sentence, both only over what the person may read.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Subquery
from django.db.models.functions import Coalesce
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.api.viewsets import CreateMixin, StewardViewSet, UpdateMixin, etag_for
from steward.knowledge import search, services
from steward.knowledge.api import serializers as s
from steward.knowledge.filters import (
    ArticleFilterSet,
    ArticleVersionFilterSet,
    CategoryFilterSet,
)
from steward.knowledge.forms import problem_model
from steward.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleUse,
    ArticleVersion,
    Category,
)

MAX_SEARCH = 50


def _count(model: Any, **condition: Any) -> Coalesce:
    rows = (
        model.objects.filter(article=OuterRef("pk"), **condition)
        .order_by()
        .values("article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def with_counts(queryset: Any, user: Any) -> Any:
    """Feedback and use counts as subqueries (one query for a whole page), and the linked
    problems ``user`` may see (none for requesters)."""
    problems = policy.scope(problem_model().objects.all(), user, "view").only("pk")
    return (
        queryset.select_related("category")
        .prefetch_related(
            "services", "configuration_items", "attachments", Prefetch("problems", problems)
        )
        .annotate(
            helpful_yes=_count(ArticleFeedback, helpful=True),
            helpful_no=_count(ArticleFeedback, helpful=False),
            resolved_incidents=_count(ArticleUse),
        )
    )


class ArticleViewSet(CreateMixin, UpdateMixin, StewardViewSet):
    """Knowledge articles; every edit of the text is a new version."""

    queryset = Article.objects.all()
    serializer_class = s.ArticleSerializer
    filterset_class = ArticleFilterSet
    ordering_fields = ["id", "updated_at", "views", "title"]

    def get_queryset(self) -> Any:
        return with_counts(super().get_queryset(), self.request.user)

    @property
    def ordering(self) -> tuple[str, ...] | None:
        request = getattr(self, "request", None)
        if request is not None and request.query_params.get("q", "").strip():
            return ("-search_rank", "-updated_at", "-id")
        return None

    def locked_object(self) -> Article:
        """Row-locked, then read as the list and detail show it (the ETag compares those)."""
        obj = self.get_object()
        Article.objects.select_for_update().filter(pk=obj.pk).values_list("pk").get()
        return with_counts(Article.objects.filter(pk=obj.pk), self.request.user).get()

    def perform_create(self, serializer: Any) -> Article:
        created = services.create_article(actor=actor_of(self.request), **serializer.validated_data)
        return with_counts(Article.objects.filter(pk=created.pk), self.request.user).get()

    def perform_update(self, serializer: Any) -> Article:
        data = dict(serializer.validated_data)
        note = data.pop("note", "")
        edited = services.edit_article(
            actor=actor_of(self.request),
            article=serializer.instance,
            expected_version=serializer.instance.version,
            note=note,
            **data,
        )
        return with_counts(Article.objects.filter(pk=edited.pk), self.request.user).get()

    def _respond(self, article: Article, code: int = status.HTTP_200_OK) -> Response:
        fresh = with_counts(Article.objects.filter(pk=article.pk), self.request.user).get()
        data = s.ArticleSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code, headers={"ETag": etag_for(data)})

    @extend_schema(request=s.ArticleTransitionSerializer, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def transition(self, request: Request, pk: str | None = None) -> Response:
        """Submit for review, publish, send back, retire or revive (as the workflow allows)."""
        article = self.get_object()
        data = s.validated(s.ArticleTransitionSerializer, request, self.get_serializer_context())
        article = services.transition_article(
            actor=actor_of(request),
            article=article,
            to=data["to"],
            expected_version=data.get("version"),
        )
        return self._respond(article)

    @extend_schema(
        parameters=[
            OpenApiParameter("from", OpenApiTypes.INT, description="Older version number."),
            OpenApiParameter("to", OpenApiTypes.INT, description="Newer version number."),
        ],
        responses=s.ArticleDiffSerializer,
    )
    @action(detail=True, methods=["get"], filter_backends=[])
    def diff(self, request: Request, pk: str | None = None) -> Response:
        """What changed between two versions (default: the newest and the one before)."""
        article = self.get_object()
        older = services.get_version(
            article, request.query_params.get("from", max(article.revision - 1, 1))
        )
        newer = services.get_version(article, request.query_params.get("to", article.revision))
        lines = services.diff_versions(older, newer)
        return Response(
            {
                "older": older.number,
                "newer": newer.number,
                "diff": services.unified_diff(older, newer),
                "lines": [{"kind": line.kind, "text": line.text} for line in lines],
            }
        )

    @extend_schema(request=s.ArticleFeedbackSerializer, responses=s.ArticleSerializer)
    @action(detail=True, methods=["post"], filter_backends=[])
    def feedback(self, request: Request, pk: str | None = None) -> Response:
        """Answer "did this help?" (again, to change the answer)."""
        article = self.get_object()
        data = s.validated(s.ArticleFeedbackSerializer, request, self.get_serializer_context())
        services.give_feedback(actor=actor_of(request), article=article, helpful=data["helpful"])
        return self._respond(article)

    @extend_schema(request=s.ArticleResolveIncidentSerializer, responses=s.ArticleUseSerializer)
    @action(detail=True, methods=["post"], filter_backends=[], url_path="resolve-incident")
    def resolve_incident(self, request: Request, pk: str | None = None) -> Response:
        """Record that this article resolved an incident, resolving it if still open."""
        article = self.get_object()
        data = s.validated(
            s.ArticleResolveIncidentSerializer, request, self.get_serializer_context()
        )
        use = services.resolve_with_article(
            actor=actor_of(request),
            ticket=data["ticket"],
            article=article,
            resolution=data.get("resolution", ""),
        )
        return Response(s.ArticleUseSerializer(use).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={"multipart/form-data": s.ArticleAttachmentUploadSerializer},
        responses={201: s.ArticleAttachmentSerializer},
    )
    @action(detail=True, methods=["post"], filter_backends=[], parser_classes=[MultiPartParser])
    def attachments(self, request: Request, pk: str | None = None) -> Response:
        """Attach a file (checked by its content)."""
        article = self.get_object()
        data = s.validated(
            s.ArticleAttachmentUploadSerializer, request, self.get_serializer_context()
        )
        upload = data["file"]
        attachment = services.add_attachment(
            actor=actor_of(request), article=article, file=upload, filename=upload.name
        )
        return Response(
            s.ArticleAttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, required=True),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses=s.ArticleSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def search(self, request: Request) -> Response:
        """The best matches (all words; "phrases"; the last word a prefix), best first."""
        found = search.search_ids(
            request.user, request.query_params.get("q", ""), limit=_limit(request)
        )
        return self._ranked(found)

    @extend_schema(
        parameters=[
            OpenApiParameter("text", OpenApiTypes.STR, required=True),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses=s.ArticleSerializer(many=True),
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def suggest(self, request: Request) -> Response:
        """Published articles like a typed description (for a form being filled in)."""
        reach = search.reach_of(request.user, published_only=True)
        text = request.query_params.get("text", "")[:2000]
        found = (
            search.suggested_ids(
                search.suggestion_terms(text), reach, limit=min(_limit(request), 10)
            )
            if reach is not None
            else []
        )
        return self._ranked(found)

    def _ranked(self, found: list[tuple[int, float]]) -> Response:
        rank = dict(found)
        rows = list(self.get_queryset().filter(pk__in=list(rank)))
        rows.sort(key=lambda a: (-rank[a.pk], -a.pk))
        for row in rows:
            row.search_rank = rank[row.pk]
        return Response(
            s.ArticleSerializer(rows, many=True, context=self.get_serializer_context()).data
        )


def _limit(request: Request) -> int:
    try:
        return max(1, min(int(request.query_params.get("limit", 20)), MAX_SEARCH))
    except ValueError:
        return 20


class ArticleVersionViewSet(StewardViewSet):
    """Every version of every article one may read (never changed)."""

    queryset = ArticleVersion.objects.all()
    serializer_class = s.ArticleVersionSerializer
    filterset_class = ArticleVersionFilterSet
    ordering_fields = ["id", "number", "created_at"]


class KnowledgeCategoryViewSet(CreateMixin, StewardViewSet):
    """Categories articles are filed under."""

    queryset = Category.objects.all()
    serializer_class = s.KnowledgeCategorySerializer
    filterset_class = CategoryFilterSet
    ordering_fields = ["id", "name"]

    def perform_create(self, serializer: Any) -> Category:
        return services.create_category(actor=actor_of(self.request), **serializer.validated_data)


__all__ = ["ArticleViewSet", "ArticleVersionViewSet", "KnowledgeCategoryViewSet"]
