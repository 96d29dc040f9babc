"""Factories for the knowledge base: plain functions with defaults."""

from __future__ import annotations

import itertools
from typing import Any

from steward.accounts.choices import RoleCode
from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_person
from steward.knowledge import services
from steward.knowledge.choices import ArticleAudience, ArticleState
from steward.knowledge.models import Article

_seq = itertools.count(1)


def make_knowledge_manager(**overrides: Any) -> Person:
    return make_person(roles=[RoleCode.KNOWLEDGE_MANAGER], **overrides)


def make_article(**overrides: Any) -> Article:
    """A draft written by an agent (or ``actor``)."""
    n = next(_seq)
    actor = overrides.pop("actor", None) or make_agent()
    values: dict[str, Any] = {
        "title": f"How to fix thing {n}",
        "body": f"Restart the thing {n}, then try again.",
    }
    values.update(overrides)
    return services.create_article(actor=actor, **values)


def make_published(**overrides: Any) -> Article:
    """A published article (submitted by its author, published by a knowledge manager)."""
    overrides.setdefault("audience", ArticleAudience.PORTAL)
    article = make_article(**overrides)
    manager = make_knowledge_manager()
    article = services.transition_article(
        actor=article.created_by, article=article, to=ArticleState.IN_REVIEW
    )
    return services.transition_article(actor=manager, article=article, to=ArticleState.PUBLISHED)
