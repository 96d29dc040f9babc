"""Knowledge articles: versions, categories, attachments, feedback and the incidents they resolved.

An ``Article`` holds the current text; every edit also writes an ``ArticleVersion`` row, so any
two versions can be compared. Its life (draft, in review, published, retired) is workflow data
(``workflows.py``). Agents read every article; requesters read only published portal articles
(the policy rule's ``public`` condition), and nothing else reaches them, not even in a count.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models
from django.urls import reverse
from django.utils import timezone

from steward.accounts.models import Person
from steward.cmdb.models import ConfigurationItem
from steward.core.models import ScopedQuerySet
from steward.core.policy import Rule
from steward.knowledge.choices import ArticleAudience, ArticleState

#: What a requester (no model permission) may read: published articles meant for the portal.
PORTAL_READABLE = {"state": ArticleState.PUBLISHED, "audience": ArticleAudience.PORTAL}


class Category(models.Model):
    """A heading articles are filed under (Email, VPN, Printing...)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)

    objects = ScopedQuerySet["Category"].as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class ArticleQuerySet(ScopedQuerySet["Article"]):
    def published(self) -> ArticleQuerySet:
        return self.filter(state=ArticleState.PUBLISHED)

    def due_for_review(self, on: Any) -> ArticleQuerySet:
        return self.published().filter(review_by__isnull=False, review_by__lte=on)


class Article(models.Model):
    """One piece of reusable knowledge: a fix, a how-to, an answer."""

    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    state = models.CharField(max_length=20, choices=ArticleState.choices, default="draft")
    audience = models.CharField(
        max_length=10, choices=ArticleAudience.choices, default=ArticleAudience.AGENTS
    )
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="articles"
    )
    owner = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="owned_articles")
    review_by = models.DateField(
        null=True, blank=True, help_text="When the owner must check the article is still right."
    )
    services = models.ManyToManyField(
        ConfigurationItem, blank=True, related_name="service_articles"
    )
    configuration_items = models.ManyToManyField(
        ConfigurationItem, blank=True, related_name="ci_articles"
    )
    problems = models.ManyToManyField(
        "problems.Problem",
        blank=True,
        related_name="articles",
        help_text="Problems and known errors the article explains or works around (staff "
        "who see problems only; never shown on the portal).",
    )
    revision = models.PositiveIntegerField(
        default=1, help_text="The number of the newest version of the text."
    )
    version = models.PositiveIntegerField(default=1, help_text="Bumped by every change.")
    views = models.PositiveBigIntegerField(default=0)
    created_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    objects = ArticleQuerySet.as_manager()
    policy_rule = Rule(public=PORTAL_READABLE)

    class Meta:
        ordering = ["-updated_at", "-id"]
        permissions = [("publish_article", "Can review, publish and retire articles")]
        indexes = [models.Index(fields=["state", "audience", "-updated_at"])]

    def __str__(self) -> str:
        return f"{self.number}: {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("knowledge:article_detail", args=[self.pk])

    @property
    def number(self) -> str:
        return f"KB{self.pk:05d}" if self.pk else "KB(new)"

    def is_published(self) -> bool:
        return self.state == ArticleState.PUBLISHED


class ArticleVersion(models.Model):
    """The article's text as one edit left it; never changed afterwards."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    note = models.CharField(max_length=200, blank=True, help_text="What this edit changed.")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["ArticleVersion"].as_manager()
    # No public rows: a published article's earlier versions may hold unreviewed text.

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="uniq_article_version")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


def article_attachment_path(instance: ArticleAttachment, filename: str) -> str:
    return f"knowledge/{instance.article_id}/{uuid.uuid4().hex}"


class ArticleAttachment(models.Model):
    """A file on an article, checked by content on upload and only served as a download."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_attachment_path, max_length=200)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["ArticleAttachment"].as_manager()
    policy_rule = Rule(public={f"article__{k}": v for k, v in PORTAL_READABLE.items()})

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.filename

    def get_absolute_url(self) -> str:
        return reverse("knowledge:attachment_download", args=[self.pk])


class ArticleFeedback(models.Model):
    """One person's answer to "did this help?" (they may change it)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    updated_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["ArticleFeedback"].as_manager()
    policy_rule = Rule(owners={"person": frozenset({"view"})})

    class Meta:
        ordering = ["-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "person"], name="uniq_article_feedback")
        ]

    def __str__(self) -> str:
        return f"{self.article_id}: {'helpful' if self.helpful else 'not helpful'}"


class ArticleUse(models.Model):
    """An incident resolved with an article (the article's usage count counts these)."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="uses")
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.CASCADE, related_name="knowledge_uses"
    )
    used_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    used_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet["ArticleUse"].as_manager()

    class Meta:
        ordering = ["-used_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["article", "ticket"], name="uniq_article_use")
        ]

    def __str__(self) -> str:
        return f"{self.article_id} resolved {self.ticket_id}"
