"""API representations of articles, their versions and categories. No rules here."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from steward.accounts.models import Person
from steward.cmdb.models import ConfigurationItem
from steward.core import markdown
from steward.core.api.serializers import (
    ScopedPrimaryKeyRelatedField,
    StewardModelSerializer,
    StewardSerializer,
)
from steward.knowledge.choices import ArticleAudience
from steward.knowledge.forms import problem_model
from steward.knowledge.models import Article, ArticleAttachment, ArticleVersion, Category
from steward.tickets.models import Ticket


class KnowledgeCategorySerializer(StewardModelSerializer):
    class Meta:
        model = Category
        fields = ["id", "name", "description"]


class ArticleAttachmentSerializer(StewardModelSerializer):
    download = serializers.SerializerMethodField()

    class Meta:
        model = ArticleAttachment
        fields = ["id", "filename", "content_type", "size", "sha256", "uploaded_at", "download"]
        read_only_fields = fields

    def get_download(self, obj: ArticleAttachment) -> str:
        return obj.get_absolute_url()


class ArticleSerializer(StewardModelSerializer):
    number = serializers.CharField(read_only=True)
    body_html = serializers.SerializerMethodField(help_text="The body rendered, sanitised.")
    category = ScopedPrimaryKeyRelatedField(
        queryset=Category.objects.all(), allow_null=True, required=False
    )
    owner = ScopedPrimaryKeyRelatedField(queryset=Person.objects.all(), required=False)
    services = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    configuration_items = ScopedPrimaryKeyRelatedField(
        queryset=ConfigurationItem.objects.all(), many=True, required=False
    )
    problems = ScopedPrimaryKeyRelatedField(
        queryset=problem_model().objects.all(),
        many=True,
        required=False,
        help_text="Problems and known errors the article explains (ids). Only those you may "
        "see are listed; requesters never see any.",
    )
    audience = serializers.ChoiceField(choices=ArticleAudience.choices, required=False)
    note = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="What this edit changed (kept with the new version).",
    )
    helpful_yes = serializers.IntegerField(read_only=True)
    helpful_no = serializers.IntegerField(read_only=True)
    resolved_incidents = serializers.IntegerField(read_only=True)
    attachments = ArticleAttachmentSerializer(many=True, read_only=True)
    search_rank = serializers.FloatField(read_only=True, required=False)

    class Meta:
        model = Article
        fields = [
            "id",
            "number",
            "title",
            "body",
            "body_html",
            "state",
            "audience",
            "category",
            "owner",
            "review_by",
            "services",
            "configuration_items",
            "problems",
            "revision",
            "version",
            "views",
            "helpful_yes",
            "helpful_no",
            "resolved_incidents",
            "attachments",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
            "note",
            "search_rank",
        ]
        read_only_fields = [
            "state",
            "revision",
            "version",
            "views",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
        ]

    def get_body_html(self, obj: Article) -> str:
        return str(markdown.render(obj.body))


class ArticleVersionSerializer(StewardModelSerializer):
    class Meta:
        model = ArticleVersion
        fields = ["id", "article", "number", "title", "body", "note", "author", "created_at"]
        read_only_fields = fields


class ArticleTransitionSerializer(StewardSerializer):
    to = serializers.CharField(help_text="The state to move to (in_review, published, ...).")
    version = serializers.IntegerField(required=False, help_text="The version you read.")


class ArticleDiffSerializer(StewardSerializer):
    older = serializers.IntegerField(read_only=True)
    newer = serializers.IntegerField(read_only=True)
    diff = serializers.CharField(read_only=True, help_text="A unified diff.")
    lines = serializers.ListField(child=serializers.DictField(), read_only=True)


class ArticleFeedbackSerializer(StewardSerializer):
    helpful = serializers.BooleanField()


class ArticleResolveIncidentSerializer(StewardSerializer):
    ticket = ScopedPrimaryKeyRelatedField(queryset=Ticket.objects.all())
    resolution = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class ArticleAttachmentUploadSerializer(StewardSerializer):
    file = serializers.FileField()


class ArticleUseSerializer(StewardSerializer):
    article = serializers.IntegerField(source="article_id", read_only=True)
    ticket = serializers.IntegerField(source="ticket_id", read_only=True)
    used_at = serializers.DateTimeField(read_only=True)


def validated(serializer_class: Any, request: Any, context: Any) -> Any:
    body = serializer_class(data=request.data, context=context)
    body.is_valid(raise_exception=True)
    return body.validated_data
