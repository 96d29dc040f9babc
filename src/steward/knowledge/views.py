"""The knowledge pages for the service desk: list and search, article, versions and diff,
edit, review actions, files, feedback; suggestions while typing; the incident panel.
Views parse, fetch through the policy, call one service and render."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from steward.accounts.forms import apply_rule_violation
from steward.accounts.models import Person, actor_of
from steward.core import policy, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from steward.core.paging import CappedPaginator
from steward.knowledge import search, services
from steward.knowledge.filters import ArticleFilterSet, ranked
from steward.knowledge.forms import (
    ArticleForm,
    AttachmentForm,
    CategoryForm,
    ResolveWithArticleForm,
    linked_problems,
    problem_model,
)
from steward.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleUse,
    Category,
)
from steward.tickets.views.ticket import attachment_response

PER_PAGE = 25


def _staff(request: HttpRequest) -> Person:
    """The person, who must read the knowledge base as staff (requesters use the portal)."""
    user = actor_of(request)
    policy.require_model(user, Article, "view")
    return user


def _article(request: HttpRequest, pk: int) -> Article:
    return services.get_article_for(_staff(request), pk)


@login_required
def article_list(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    filters = ArticleFilterSet(
        request.GET or None, queryset=Article.objects.visible_to(user), request=request
    )
    rows = ranked(filters.qs).select_related("owner", "category").defer("body")
    page = CappedPaginator(rows, PER_PAGE).get_page(request.GET.get("page"))
    labels = workflow.state_labels()
    page.object_list = list(page.object_list)
    for row in page.object_list:
        row.state_label = labels.get(row.state, row.state)
    filters.form.fields["owner"].widget = forms.HiddenInput()
    context = {
        "filter_form": filters.form,
        "page": page,
        "may_add": policy.can_add(user, Article),
    }
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "knowledge/_article_rows.html", context)
    return render(request, "knowledge/article_list.html", context)


def article_facts(article: Article, user: Person) -> dict[str, Any]:
    """What the article page shows beside the text (one query each, none per row)."""
    votes = ArticleFeedback.objects.filter(article=article).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    mine = (
        ArticleFeedback.objects.filter(article=article, person=user)
        .values_list("helpful", flat=True)
        .first()
    )
    return {
        "helpful_yes": votes["yes"],
        "helpful_no": votes["no"],
        "my_feedback": mine,
        "attachments": list(article.attachments.all()),
    }


@login_required
def article_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    article = services.get_article_for(user, pk)
    services.count_view(article)
    article.views += 1
    context = {
        "article": article,
        "state_label": workflow.workflow_for(Article).state(article.state),
        "transitions": workflow.allowed_transitions(article, user),
        "may_edit": services.may_edit(user, article),
        "versions": list(article.versions.select_related("author").defer("body")),
        "services_linked": list(article.services.all()),
        "cis_linked": list(article.configuration_items.all()),
        "problems_linked": list(
            linked_problems(article, user).only("number", "title", "known_error_at")
        ),
        "may_see_problems": policy.has_model_permission(user, problem_model(), "view"),
        "resolved_count": ArticleUse.objects.filter(article=article).count(),
        "upload_form": AttachmentForm(),
        **article_facts(article, user),
    }
    return render(request, "knowledge/article_detail.html", context)


@login_required
def article_create(request: HttpRequest) -> HttpResponse:
    user = _staff(request)
    if not policy.can_add(user, Article):
        raise Forbidden("You may not write articles.")
    # "Write an article for it" on a problem's page names the problem.
    initial = {"problems": request.GET.get("problems", "")[:200]}
    form = ArticleForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            article = services.create_article(actor=user, **form.values())
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"{article.number} has been saved as a draft.")
            return redirect(article)
    return render(request, "knowledge/article_form.html", {"form": form, "article": None})


@login_required
def article_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    article = services.get_article_for(user, pk)
    form = ArticleForm(request.POST or None, user=user, article=article)
    if request.method == "POST" and form.is_valid():
        values = form.values()
        note = values.pop("note", "")
        try:
            version = int(request.POST.get("version", ""))
        except ValueError:
            version = None
        try:
            article = services.edit_article(
                actor=user, article=article, expected_version=version, note=note, **values
            )
        except RuleViolation as exc:
            apply_rule_violation(form, exc)
        except Forbidden as exc:
            form.add_error(None, str(exc))
        except Conflict:
            form.add_error(
                None, "Someone changed this article meanwhile. Reload it; your text is below."
            )
        else:
            messages.success(request, f"{article.number} has been saved.")
            return redirect(article)
    return render(request, "knowledge/article_form.html", {"form": form, "article": article})


@login_required
@require_POST
def article_transition(request: HttpRequest, pk: int, to: str) -> HttpResponse:
    user = _staff(request)
    article = services.get_article_for(user, pk)
    try:
        article = services.transition_article(actor=user, article=article, to=to)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    except Forbidden as exc:
        messages.error(request, str(exc))
    else:
        label = workflow.workflow_for(Article).state(article.state)
        messages.success(request, f"{article.number} is now {label.label if label else to}.")
    return redirect(article)


@login_required
def article_diff(request: HttpRequest, pk: int) -> HttpResponse:
    article = _article(request, pk)
    newest = article.revision
    older = services.get_version(article, request.GET.get("from", max(newest - 1, 1)))
    newer = services.get_version(article, request.GET.get("to", newest))
    return render(
        request,
        "knowledge/article_diff.html",
        {
            "article": article,
            "older": older,
            "newer": newer,
            "lines": services.diff_versions(older, newer),
            "numbers": list(article.versions.values_list("number", flat=True)),
        },
    )


@login_required
def version_detail(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    article = _article(request, pk)
    version = services.get_version(article, number)
    return render(
        request, "knowledge/version_detail.html", {"article": article, "version": version}
    )


@login_required
@require_POST
def attachment_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = _staff(request)
    article = services.get_article_for(user, pk)
    form = AttachmentForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose a file to attach.")
        return redirect(article)
    upload = form.cleaned_data["file"]
    try:
        services.add_attachment(actor=user, article=article, file=upload, filename=upload.name)
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    except Forbidden as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{upload.name} has been attached.")
    return redirect(article)


@login_required
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """A file of an article the person may read (requesters: published portal articles)."""
    attachment = policy.get_for(actor_of(request), ArticleAttachment.objects.all(), pk)
    return attachment_response(attachment)  # type: ignore[arg-type]


@login_required
@require_POST
def article_feedback(request: HttpRequest, pk: int) -> HttpResponse:
    user = actor_of(request)
    article = services.get_article_for(user, pk)
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
    return redirect(request.POST.get("next") or article.get_absolute_url())


@login_required
def suggest(request: HttpRequest) -> HttpResponse:
    """Articles like what is being typed into the incident form (an htmx fragment)."""
    user = _staff(request)
    text = f"{request.GET.get('title', '')} {request.GET.get('description', '')}"
    articles = search.suggest(user, text[:2000]) if text.strip() else []
    return render(request, "knowledge/_suggestions.html", {"articles": articles})


@login_required
def category_list(request: HttpRequest) -> HttpResponse:
    """The categories, with how many articles each holds; knowledge managers add more."""
    user = _staff(request)
    may_add = policy.can_add(user, Category)
    form = CategoryForm(request.POST or None)
    if request.method == "POST":
        if not may_add:
            raise Forbidden("You may not create categories.")
        if form.is_valid():
            try:
                category = services.create_category(actor=user, **form.cleaned_data)
            except RuleViolation as exc:
                apply_rule_violation(form, exc)
            else:
                messages.success(request, f"Category {category.name} has been created.")
                return redirect("knowledge:category_list")
    categories = Category.objects.visible_to(user).annotate(articles_count=Count("articles"))
    return render(
        request,
        "knowledge/category_list.html",
        {"categories": categories, "form": form, "may_add": may_add},
    )


# --- on the incident page ---------------------------------------------------------------------


def problem_panel_context(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """The articles panel of a problem's page: the articles linked to it that the person
    may read (problems are staff-only, so requesters never get here)."""
    user = actor_of(request)
    if not policy.has_model_permission(user, Article, "view"):
        return None
    articles = (
        Article.objects.visible_to(user)
        .filter(problems=ticket.pk)
        .only("title", "state", "updated_at")
        .order_by("-updated_at", "-id")
    )
    return {
        "ticket": ticket,
        "articles": list(articles),
        "may_write": policy.can_add(user, Article),
    }


def incident_panel_context(request: HttpRequest, ticket: Any) -> dict[str, Any] | None:
    """The knowledge panel of an incident: articles like it, those that resolved it, and
    the form recording that an article resolved it (for those who may change it)."""
    user = actor_of(request)
    if not policy.has_model_permission(user, Article, "view"):
        return None
    used = list(
        Article.objects.visible_to(user).filter(uses__ticket=ticket).defer("body").order_by("pk")
    )
    return {
        "ticket": ticket,
        "used": used,
        "suggested": search.suggest(user, f"{ticket.title} {ticket.description}"),
        "may_record": policy.can(user, "change", ticket)
        and policy.has_model_permission(user, ArticleUse, "add"),
        "form": ResolveWithArticleForm(),
    }


@login_required
@require_POST
def resolve_incident(request: HttpRequest, number: str) -> HttpResponse:
    """Record that an article resolved an incident (resolving it if it is still open)."""
    from steward.tickets.models import Ticket

    user = _staff(request)
    ticket = Ticket.objects.visible_to(user).filter(number=number).first()
    if ticket is None:
        raise NotFound("ticket not found")
    form = ResolveWithArticleForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect(ticket)
    try:
        article = services.get_article_for(user, form.cleaned_data["article"])
        services.resolve_with_article(
            actor=user,
            ticket=ticket,
            article=article,
            resolution=form.cleaned_data.get("resolution") or "",
        )
    except NotFound:
        messages.error(request, "No such article.")
    except RuleViolation as exc:
        messages.error(request, " ".join(exc.messages))
    except (Forbidden, Conflict) as exc:
        messages.error(request, str(exc) or "The incident changed meanwhile; try again.")
    else:
        messages.success(request, f"{ticket.number} is recorded as resolved by {article.number}.")
    return redirect(ticket)
