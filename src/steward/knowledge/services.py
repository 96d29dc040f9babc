"""Every change to the knowledge base: articles, their versions, review, files, feedback, use.

Each function takes the acting person first, checks the policy, runs in one transaction,
writes the audit entry and keeps the search index in step. Article bodies are Markdown:
``core.markdown.validate`` refuses script, event handlers and script links with a clear
message, and pages only ever show ``core.markdown.render``'s sanitised HTML.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import IO, Any, BinaryIO, cast

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from steward.accounts.models import Person
from steward.cmdb.models import ConfigurationItem
from steward.core import audit, conf, markdown, policy, uploads, workflow
from steward.core.errors import Conflict, Forbidden, NotFound, RuleViolation, refuse_unknown
from steward.core.workflow import Category as StateCategory
from steward.knowledge import search
from steward.knowledge.choices import ArticleAudience, ArticleState
from steward.knowledge.models import (
    Article,
    ArticleAttachment,
    ArticleFeedback,
    ArticleUse,
    ArticleVersion,
    Category,
)
from steward.knowledge.workflows import PUBLISH, requires_review
from steward.tickets import services as ticket_services
from steward.tickets.models import Ticket

TEXT_FIELDS = ("title", "body")
EDITABLE = ("title", "body", "audience", "category", "owner", "review_by")
LINKS = ("services", "configuration_items", "problems")
TRACKED = (*EDITABLE, *LINKS)
#: What resolving an incident with an article records as its resolution code.
ARTICLE_RESOLUTION_CODE = "solved_workaround"


def _check_text(*, title: str, body: str) -> None:
    errors = {}
    if not title.strip():
        errors["title"] = "Give the article a title."
    if not body.strip():
        errors["body"] = "Write the article."
    if errors:
        raise RuleViolation(errors)
    markdown.validate(body)


def _check_audience(audience: str) -> None:
    if audience not in ArticleAudience.values:
        raise RuleViolation({"audience": f"Choose one of {', '.join(ArticleAudience.values)}."})


def _check_links(
    actor: Person,
    services: Iterable[ConfigurationItem],
    cis: Iterable[ConfigurationItem],
    problems: Iterable[Any] = (),
) -> None:
    for item in [*services, *cis, *problems]:
        policy.require(actor, "view", item)
    not_services = [s.name for s in services if not s.is_service]
    if not_services:
        raise RuleViolation({"services": f"Not a service: {', '.join(not_services)}."})


@dataclass(frozen=True)
class _ProblemLinks:
    chosen: list[Any]
    unseen: list[Any]


def _problems_after(actor: Person, article: Article, given: Iterable[Any] | None) -> _ProblemLinks:
    """The problems an edit links: those given (or, when none are given, those linked now
    that the actor sees), plus those linked now that the actor may not see; nobody unlinks
    what they cannot see."""
    linked = list(article.problems.all())
    visible = {p.pk for p in policy.scope(article.problems.all(), actor, "view")}
    unseen = [p for p in linked if p.pk not in visible]
    chosen = [p for p in linked if p.pk in visible] if given is None else list(given)
    return _ProblemLinks(chosen=chosen, unseen=unseen)


def may_publish(actor: Any) -> bool:
    return bool(actor is not None and actor.has_perm(PUBLISH))


def may_edit(actor: Any, article: Article) -> bool:
    """Would ``edit_article`` let ``actor`` change ``article``? (for showing the button)"""
    if not policy.can(actor, "change", article):
        return False
    held_by_review = article.state == ArticleState.PUBLISHED and requires_review(
        workflow.workflow_for(Article)
    )
    return not held_by_review or may_publish(actor)


def _require_editable(actor: Any, article: Article) -> None:
    policy.require(actor, "change", article)
    if not may_edit(actor, article):
        raise Forbidden(
            "This article is published and the process requires a review: only a knowledge "
            "manager may change it. Ask one, or retire and revise it."
        )


@transaction.atomic
def create_category(*, actor: Person, name: str, description: str = "") -> Category:
    policy.require_add(actor, Category)
    if not name.strip():
        raise RuleViolation({"name": "Give the category a name."})
    if Category.objects.filter(name__iexact=name.strip()).exists():
        raise RuleViolation({"name": "A category with this name exists."})
    category = Category.objects.create(name=name.strip(), description=description)
    audit.record(
        actor=actor,
        action="knowledge_category.created",
        obj=category,
        changes={"name": category.name},
    )
    return category


@transaction.atomic
def create_article(
    *,
    actor: Person,
    title: str,
    body: str,
    audience: str = ArticleAudience.AGENTS,
    category: Category | None = None,
    owner: Person | None = None,
    review_by: date | None = None,
    services: Iterable[ConfigurationItem] = (),
    configuration_items: Iterable[ConfigurationItem] = (),
    problems: Iterable[Any] = (),
    note: str = "",
) -> Article:
    """A new draft and its first version; the author owns it unless another owner is named.

    ``problems``: problems and known errors it explains (each one the author may see)."""
    policy.require_add(actor, Article)
    services, configuration_items = list(services), list(configuration_items)
    problems = list(problems)
    _check_text(title=title, body=body)
    _check_audience(audience)
    _check_links(actor, services, configuration_items, problems)
    if owner is not None:
        policy.require(actor, "view", owner)
    state = workflow.initial_state(Article)
    article = Article.objects.create(
        title=title.strip(),
        body=body,
        audience=audience,
        category=category,
        owner=owner or actor,
        review_by=review_by,
        state=state.code,
        created_by=actor,
    )
    article.services.set(services)
    article.configuration_items.set(configuration_items)
    article.problems.set(problems)
    ArticleVersion.objects.create(
        article=article, number=1, title=article.title, body=body, note=note, author=actor
    )
    search.reindex(article.pk)
    audit.record(
        actor=actor,
        action="article.created",
        obj=article,
        changes=audit.snapshot(article, TRACKED),
    )
    return article


@transaction.atomic
def edit_article(
    *,
    actor: Person,
    article: Article,
    expected_version: int | None = None,
    note: str = "",
    **changes: Any,
) -> Article:
    """Change an article; a changed title or body becomes a new version.

    Where the profile requires a review, a published article is changed only by those who
    publish (otherwise an edit would reach readers unreviewed).
    """
    refuse_unknown(changes, TRACKED)
    policy.require(actor, "change", article)
    locked = Article.objects.select_for_update().get(pk=article.pk)
    if expected_version is not None and locked.version != expected_version:
        raise Conflict()
    _require_editable(actor, locked)
    before = audit.snapshot(locked, TRACKED)
    title = changes.get("title", locked.title)
    body = changes.get("body", locked.body)
    _check_text(title=title, body=body)
    if "audience" in changes:
        _check_audience(changes["audience"])
    services = list(changes.pop("services", locked.services.all()))
    cis = list(changes.pop("configuration_items", locked.configuration_items.all()))
    problems = _problems_after(actor, locked, changes.pop("problems", None))
    _check_links(actor, services, cis, problems.chosen)
    if changes.get("owner") is not None:
        policy.require(actor, "view", changes["owner"])
    elif "owner" in changes:
        raise RuleViolation({"owner": "An article needs an owner."})
    for name, value in changes.items():
        setattr(locked, name, value.strip() if name == "title" else value)
    text_changed = (locked.title, locked.body) != (before["title"], before["body"])
    if text_changed:
        locked.revision += 1
        ArticleVersion.objects.create(
            article=locked,
            number=locked.revision,
            title=locked.title,
            body=locked.body,
            note=note,
            author=actor,
        )
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.save()
    locked.services.set(services)
    locked.configuration_items.set(cis)
    locked.problems.set([*problems.chosen, *problems.unseen])
    search.reindex(locked.pk)
    changed = audit.diff(before, audit.snapshot(locked, TRACKED))
    if text_changed:
        changed["revision"] = [locked.revision - 1, locked.revision]
    audit.record(actor=actor, action="article.edited", obj=locked, changes=changed)
    return locked


@transaction.atomic
def transition_article(
    *, actor: Person, article: Article, to: str, expected_version: int | None = None
) -> Article:
    """Move an article through its review workflow (submit, publish, send back, retire)."""
    current = workflow.workflow_for(Article)
    if (
        to == ArticleState.PUBLISHED
        and article.state != ArticleState.IN_REVIEW
        and requires_review(current)
        and current.find(article.state, to) is None
    ):
        raise RuleViolation(
            {
                "state": "This process profile requires a review before publishing: submit the "
                "article for review, and a knowledge manager publishes it."
            }
        )
    moved: Article = workflow.transition(
        article, to=to, actor=actor, expected_version=expected_version
    )
    search.reindex(moved.pk)
    return moved


def stamp_published(article: Article, **kwargs: Any) -> None:
    """Workflow effect: remember when the article was (last) published."""
    article.published_at = timezone.now()
    Article.objects.filter(pk=article.pk).update(published_at=article.published_at)


@transaction.atomic
def add_attachment(
    *, actor: Person, article: Article, file: IO[bytes], filename: str
) -> ArticleAttachment:
    """Attach a file, checked by its content like ticket files; a refused file leaves nothing."""
    _require_editable(actor, article)
    inspected = uploads.inspect(
        cast(BinaryIO, file), filename, max_bytes=conf.get("ATTACHMENT_MAX_BYTES")
    )
    file.seek(0)
    attachment = ArticleAttachment(
        article=article,
        filename=inspected.filename,
        content_type=inspected.content_type,
        size=inspected.size,
        sha256=inspected.sha256,
        uploaded_by=actor,
    )
    attachment.file.save(inspected.filename, ContentFile(file.read()), save=False)
    attachment.save()
    audit.record(
        actor=actor,
        action="article.attached",
        obj=article,
        changes={
            "attachment": attachment.pk,
            "filename": attachment.filename,
            "size": attachment.size,
            "sha256": attachment.sha256,
        },
    )
    return attachment


@transaction.atomic
def give_feedback(*, actor: Person, article: Article, helpful: bool) -> ArticleFeedback:
    """Record (or change) ``actor``'s answer to "did this help?"."""
    policy.require(actor, "view", article)
    if not article.is_published():
        raise RuleViolation({"helpful": "Only published articles take feedback."})
    feedback = ArticleFeedback.objects.filter(article=article, person=actor).first()
    before = None if feedback is None else feedback.helpful
    if feedback is None:
        feedback = ArticleFeedback.objects.create(article=article, person=actor, helpful=helpful)
    elif feedback.helpful != helpful:
        feedback.helpful = helpful
        feedback.updated_at = timezone.now()
        feedback.save(update_fields=["helpful", "updated_at"])
    if before != helpful:
        audit.record(
            actor=actor,
            action="article.feedback",
            obj=article,
            changes={"helpful": [before, helpful]},
        )
    return feedback


def count_view(article: Article) -> None:
    """One more reading: a single UPDATE, no lock held, no audit entry (reading changes
    nothing a person decided; the count is a statistic)."""
    Article.objects.filter(pk=article.pk).update(views=F("views") + 1)


@transaction.atomic
def resolve_with_article(
    *, actor: Person, ticket: Ticket, article: Article, resolution: str = ""
) -> ArticleUse:
    """Record that ``article`` resolved the incident ``ticket``, resolving it if still open.

    The resolution is the workflow's usual one (an incident's "Resolve", with its code and
    text), so every guard and effect of resolving applies. Recording an article on an
    incident already resolved only records it.
    """
    policy.require(actor, "view", article)
    policy.require(actor, "change", ticket)
    if ticket.kind != "incidents.incident":
        raise RuleViolation({"ticket": "Articles resolve incidents only."})
    if not article.is_published():
        raise RuleViolation({"article": "Only a published article can resolve an incident."})
    if ArticleUse.objects.filter(article=article, ticket=ticket).exists():
        raise RuleViolation({"article": "This article is already recorded on the incident."})
    if ticket.state_category in StateCategory.OPEN:
        text = resolution.strip() or f"Resolved with knowledge article {article}."
        ticket_services.transition_ticket(
            actor=actor,
            ticket=ticket,
            to="resolved",
            values={"resolution_code": ARTICLE_RESOLUTION_CODE, "resolution": text},
        )
    use = ArticleUse.objects.create(article=article, ticket=ticket, used_by=actor)
    audit.record(
        actor=actor,
        action="article.resolved_incident",
        obj=article,
        changes={"ticket": ticket.pk, "number": ticket.number},
    )
    return use


# --- versions ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "added", "removed", "same", "hunk"
    text: str


def diff_versions(older: ArticleVersion, newer: ArticleVersion) -> list[DiffLine]:
    """Line by line, what changed from ``older`` to ``newer`` (title first, then body)."""
    before = [f"# {older.title}", "", *older.body.splitlines()]
    after = [f"# {newer.title}", "", *newer.body.splitlines()]
    lines = []
    for line in difflib.unified_diff(before, after, lineterm="", n=3):
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            lines.append(DiffLine("hunk", line))
        elif line.startswith("+"):
            lines.append(DiffLine("added", line[1:]))
        elif line.startswith("-"):
            lines.append(DiffLine("removed", line[1:]))
        else:
            lines.append(DiffLine("same", line[1:]))
    return lines


def unified_diff(older: ArticleVersion, newer: ArticleVersion) -> str:
    before = [f"# {older.title}", "", *older.body.splitlines()]
    after = [f"# {newer.title}", "", *newer.body.splitlines()]
    return "\n".join(
        difflib.unified_diff(
            before, after, f"v{older.number}", f"v{newer.number}", lineterm="", n=3
        )
    )


def get_version(article: Article, number: Any) -> ArticleVersion:
    try:
        return article.versions.get(number=int(number))
    except (ArticleVersion.DoesNotExist, ValueError, TypeError) as exc:
        raise NotFound(f"version {number} not found") from exc


def get_article_for(user: Any, pk: Any) -> Article:
    """The article by id, through the policy (404 when unknown or not readable)."""
    return policy.get_for(user, Article.objects.select_related("owner", "category"), pk)
