"""Choices of the knowledge base."""

from django.db import models


class ArticleState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"
    RETIRED = "retired", "Retired"


class ArticleAudience(models.TextChoices):
    """Who may read a published article: the service desk only, or requesters too."""

    AGENTS = "agents", "Agents only"
    PORTAL = "portal", "Portal (requesters too)"
