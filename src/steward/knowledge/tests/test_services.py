"""The knowledge services: versions, review, permissions, safe Markdown, feedback, use."""

from __future__ import annotations

import io

import pytest

from steward.accounts.tests.factories import make_agent, make_person
from steward.core import profiles
from steward.core.errors import Forbidden, NotFound, RuleViolation
from steward.core.models import AuditEntry
from steward.incidents.tests.factories import make_assigned_incident
from steward.knowledge import services
from steward.knowledge.choices import ArticleAudience, ArticleState
from steward.knowledge.models import Article, ArticleFeedback, ArticleUse
from steward.knowledge.tests.factories import (
    make_article,
    make_knowledge_manager,
    make_published,
)
from steward.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def test_every_edit_of_the_text_is_a_new_version_and_audited():
    # given a draft
    article = make_article(title="VPN", body="Line one\nLine two")
    # when its author edits the body twice and only the audience once
    author = article.created_by
    article = services.edit_article(actor=author, article=article, body="Line one\nLine 2")
    article = services.edit_article(actor=author, article=article, title="VPN at home")
    article = services.edit_article(actor=author, article=article, audience=ArticleAudience.PORTAL)
    # then there are three versions, and the diff between the first and the last shows both
    assert article.revision == 3
    assert list(article.versions.values_list("number", flat=True)) == [3, 2, 1]
    first, last = services.get_version(article, 1), services.get_version(article, 3)
    diff = services.diff_versions(first, last)
    assert ("removed", "Line two") in [(d.kind, d.text) for d in diff]
    assert ("added", "Line 2") in [(d.kind, d.text) for d in diff]
    assert ("added", "# VPN at home") in [(d.kind, d.text) for d in diff]
    assert "+Line 2" in services.unified_diff(first, last)
    entries = AuditEntry.objects.filter(object_type="knowledge.article", object_id=str(article.pk))
    actions = entries.values_list("action", flat=True)
    assert sorted(actions) == ["article.created"] + ["article.edited"] * 3


def test_script_in_the_body_is_refused_and_nothing_is_saved():
    agent = make_agent()
    with pytest.raises(RuleViolation) as refused:
        services.create_article(actor=agent, title="Evil", body='Hi <script>alert("x")</script>')
    assert "script" in str(refused.value).lower()
    assert not Article.objects.exists()
    article = make_article(actor=agent)
    with pytest.raises(RuleViolation):
        services.edit_article(actor=agent, article=article, body="[x](javascript:alert(1))")
    article.refresh_from_db()
    assert article.revision == 1 and "javascript" not in article.body


def test_full_profile_refuses_publishing_without_review():
    article = make_article()
    manager = make_knowledge_manager()
    with pytest.raises(RuleViolation) as refused:
        services.transition_article(actor=manager, article=article, to=ArticleState.PUBLISHED)
    assert "requires a review" in str(refused.value)
    article.refresh_from_db()
    assert article.state == ArticleState.DRAFT


def test_agents_submit_and_knowledge_managers_publish():
    article = make_article()
    author = article.created_by
    article = services.transition_article(actor=author, article=article, to=ArticleState.IN_REVIEW)
    with pytest.raises(Forbidden):
        services.transition_article(actor=author, article=article, to=ArticleState.PUBLISHED)
    article = services.transition_article(
        actor=make_knowledge_manager(), article=article, to=ArticleState.PUBLISHED
    )
    assert article.state == ArticleState.PUBLISHED
    article.refresh_from_db()
    assert article.published_at is not None
    # a published article is changed only by those who publish, under review
    with pytest.raises(Forbidden):
        services.edit_article(actor=author, article=article, body="Unreviewed change")


def test_lite_profile_publishes_without_review():
    profiles.set_profile(actor=None, profile="lite")
    article = make_article()
    article = services.transition_article(
        actor=article.created_by, article=article, to=ArticleState.PUBLISHED
    )
    assert article.state == ArticleState.PUBLISHED


def test_requesters_read_only_published_portal_articles():
    requester = make_person()
    draft = make_article(audience=ArticleAudience.PORTAL)
    internal = make_published(audience=ArticleAudience.AGENTS)
    public = make_published(audience=ArticleAudience.PORTAL)
    assert list(Article.objects.visible_to(requester)) == [public]
    with pytest.raises(NotFound):
        services.get_article_for(requester, internal.pk)
    with pytest.raises(NotFound):
        services.get_article_for(requester, draft.pk)
    assert services.get_article_for(requester, public.pk) == public
    assert set(Article.objects.visible_to(make_agent())) == {draft, internal, public}
    with pytest.raises(Forbidden):
        services.create_article(actor=requester, title="Mine", body="Text")


def test_feedback_is_one_per_person_and_changeable():
    article = make_published()
    reader = make_person()
    services.give_feedback(actor=reader, article=article, helpful=True)
    services.give_feedback(actor=reader, article=article, helpful=False)
    assert list(ArticleFeedback.objects.values_list("person", "helpful")) == [(reader.pk, False)]
    with pytest.raises(NotFound):
        services.give_feedback(
            actor=reader, article=make_published(audience="agents"), helpful=True
        )


def test_views_are_counted_with_one_update(django_assert_num_queries):
    article = make_published()
    with django_assert_num_queries(1):
        services.count_view(article)
    article.refresh_from_db()
    assert article.views == 1


def _in_progress():
    incident, agent = make_assigned_incident()
    incident = ticket_services.transition_ticket(actor=agent, ticket=incident, to="in_progress")
    return incident, agent


def test_resolving_an_incident_with_an_article_records_it():
    incident, agent = _in_progress()
    article = make_published()
    use = services.resolve_with_article(actor=agent, ticket=incident, article=article)
    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert incident.resolution_code == services.ARTICLE_RESOLUTION_CODE
    assert str(article.number) in incident.resolution
    assert ArticleUse.objects.get() == use
    assert article.uses.count() == 1
    with pytest.raises(RuleViolation):
        services.resolve_with_article(actor=agent, ticket=incident, article=article)


def test_a_draft_resolves_nothing():
    incident, agent = _in_progress()
    with pytest.raises(RuleViolation):
        services.resolve_with_article(actor=agent, ticket=incident, article=make_article())
    incident.refresh_from_db()
    assert incident.state != "resolved"


def test_attachments_are_checked_by_content():
    article = make_article()
    author = article.created_by
    attachment = services.add_attachment(
        actor=author, article=article, file=io.BytesIO(b"plain notes\n"), filename="notes.txt"
    )
    assert attachment.content_type.startswith("text/plain")
    with pytest.raises(RuleViolation):
        services.add_attachment(
            actor=author,
            article=article,
            file=io.BytesIO(b"MZ\x90\x00" + b"\x00" * 60),
            filename="setup.pdf",
        )
    assert article.attachments.count() == 1


def test_under_review_published_files_are_added_by_knowledge_managers_only():
    article = make_published()
    with pytest.raises(Forbidden):
        services.add_attachment(
            actor=article.created_by, article=article, file=io.BytesIO(b"x\n"), filename="x.txt"
        )
    assert not services.may_edit(article.created_by, article)
    manager = make_knowledge_manager()
    assert services.may_edit(manager, article)
    services.add_attachment(
        actor=manager, article=article, file=io.BytesIO(b"x\n"), filename="x.txt"
    )
    assert article.attachments.count() == 1


def test_requesters_never_read_versions():
    from steward.knowledge.models import ArticleVersion

    make_published()
    assert not ArticleVersion.objects.visible_to(make_person()).exists()
    assert ArticleVersion.objects.visible_to(make_agent()).count() == 1


def test_the_policy_answers_public_rows_for_view_only():
    from steward.core import policy

    requester = make_person()
    public = make_published(audience=ArticleAudience.PORTAL)
    assert policy.can(requester, "view", public)
    assert not policy.can(requester, "change", public)
    with pytest.raises(Forbidden):
        policy.require(requester, "change", public)
    assert not policy.can(requester, "view", make_published(audience=ArticleAudience.AGENTS))
