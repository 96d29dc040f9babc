"""The knowledge base in the self-service portal: searching and reading published portal
articles, "did this help?", their files, and suggestions while reporting an incident.

Requesters reach only what ``Article``'s policy gives everyone signed in: published articles
meant for the portal. The search filters before it ranks and counts, so nothing else shows,
not even as a number.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.models import actor_of
from steward.core import policy
from steward.core.errors import RuleViolation
from steward.knowledge import search, services
from steward.knowledge.models import Article, ArticleAttachment
from steward.knowledge.views import article_facts
from steward.tickets.views.ticket import attachment_response

PER_PAGE = 20
#: Search results a requester may page through.
MAX_RESULTS = 200


def _portal_article(request: HttpRequest, pk: int) -> Article:
    """A published portal article (staff too read here only what requesters read)."""
    user = actor_of(request)
    article = services.get_article_for(user, pk)
    if not (article.is_published() and article.audience == "portal"):
        from steward.core.errors import NotFound

        raise NotFound("article not found")
    return article


@login_required
def knowledge_home(request: HttpRequest) -> HttpResponse:
    user = actor_of(request)
    query = request.GET.get("q", "").strip()
    portal = Article.objects.filter(state="published", audience="portal")
    rows: Any
    if query:
        reach = search.Reach(states=("published",), audiences=("portal",))
        found = search.ranked_ids(search.parse(query), reach, limit=MAX_RESULTS)
        rows = search.fetch_ranked(user, found)
    else:
        rows = (
            policy.scope(portal, user, "view")
            .select_related("category")
            .defer("body")
            .order_by("-views", "-id")
        )
    page = Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "query": query}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "portal/_article_rows.html", context)
    return render(request, "portal/knowledge.html", context)


@login_required
def knowledge_article(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    article = _portal_article(request, pk)
    services.count_view(article)
    article.views += 1
    return render(
        request,
        "portal/article.html",
        {"article": article, **article_facts(article, user)},
    )


@login_required
@require_POST
def knowledge_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    article = _portal_article(request, pk)
    answer = request.POST.get("helpful")
    if answer not in ("yes", "no"):
        messages.error(request, "Answer yes or no.")
    else:
        try:
            services.give_feedback(actor=user, article=article, helpful=answer == "yes")
        except RuleViolation as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, "Thank you for your feedback.")
    return redirect("portal:knowledge_article", pk=article.pk)


@login_required
def knowledge_attachment(request: HttpRequest, pk: int) -> FileResponse:
    attachment = policy.get_for(actor_of(request), ArticleAttachment.objects.all(), pk)
    _portal_article(request, attachment.article_id)
    return attachment_response(attachment)  # type: ignore[arg-type]


@login_required
def knowledge_suggest(request: HttpRequest) -> HttpResponse:
    """Published portal articles like the problem being reported (an htmx fragment)."""
    user = actor_of(request)
    text = f"{request.GET.get('title', '')} {request.GET.get('description', '')}"[:2000]
    articles = []
    if text.strip():
        reach = search.Reach(states=("published",), audiences=("portal",))
        found = search.suggested_ids(search.suggestion_terms(text), reach, limit=5)
        articles = search.fetch_ranked(user, found)
    return render(request, "portal/_suggestions.html", {"articles": articles})
