"""Search and suggestions on both databases: ranked, filtered before ranking, safe input."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from steward.accounts.tests.factories import make_agent, make_person
from steward.knowledge import search, services
from steward.knowledge.choices import ArticleState
from steward.knowledge.tests.factories import make_knowledge_manager, make_published

pytestmark = pytest.mark.django_db


def titles(found):
    return [a.title for a in search.fetch_ranked(make_agent(), found)]


def test_words_are_anded_the_last_is_a_prefix_and_accents_fold():
    make_published(title="Drucker im Büro offline", body="Taste drücken.")
    make_published(title="Printer offline", body="Press a key.")
    agent = make_agent()
    assert titles(search.search_ids(agent, "buro offl")) == ["Drucker im Büro offline"]
    assert titles(search.search_ids(agent, '"printer offline"')) == ["Printer offline"]
    assert search.search_ids(agent, '"offline printer"') == []


@pytest.mark.parametrize("query", ['"', "*", "NEAR(a b)", "a OR", "title:x", "-", "'; drop", "::"])
def test_query_syntax_never_reaches_the_database(query):
    make_published(title="Anything")
    assert isinstance(search.search_ids(make_agent(), query), list)


def test_the_index_follows_edits_and_transitions():
    article = make_published(title="Old words here")
    manager = make_knowledge_manager()
    agent = make_agent()
    services.edit_article(actor=manager, article=article, title="Fresh words here")
    assert search.search_ids(agent, "old") == []
    assert [pk for pk, _ in search.search_ids(agent, "fresh")] == [article.pk]
    requester = make_person()
    assert [pk for pk, _ in search.search_ids(requester, "fresh")] == [article.pk]
    services.transition_article(actor=manager, article=article, to=ArticleState.RETIRED)
    assert search.search_ids(requester, "fresh") == []
    assert search.suggest(agent, "fresh words") == []  # retired: never suggested


def test_suggestions_rank_more_shared_words_first():
    make_published(title="Email", body="Mail stuck in the outbox.")
    make_published(title="Outlook password prompt", body="Outlook asks for the password.")
    found = search.suggest(make_person(), "Outlook asks for my password again and again")
    assert [a.title for a in found][0] == "Outlook password prompt"


def test_limit_applies_after_the_permission_filter():
    for n in range(8):
        make_published(title=f"Printer internal {n}", audience="agents")
    make_published(title="Printer for everyone", audience="portal")
    found = search.suggest(make_person(), "printer")
    assert [a.title for a in found] == ["Printer for everyone"]


def test_cli_reindexes_searches_and_lists_reviews_due():
    article = make_published(title="Backup restore", review_by=datetime.date(2020, 1, 1))
    out = io.StringIO()
    call_command("knowledge", "reindex", stdout=out)
    call_command("knowledge", "search", "backup", stdout=out)
    call_command("knowledge", "due", stdout=out)
    text = out.getvalue()
    assert "indexed 1 articles" in text
    assert text.count(article.number) == 2


def test_in_a_large_base_common_words_do_not_choose_candidates(monkeypatch):
    # given a "large" base (threshold lowered) where every article says "restart"
    monkeypatch.setattr(search, "SMALL_INDEX", 3)
    for n in range(6):
        make_published(title=f"Topic {n}", body=f"restart the machine {n}")
    target = make_published(title="Scanner jams", body="restart the scanner, clear the jam")
    # when the typed text shares only the common word with the others
    total, shares = search.word_shares(search.suggestion_terms("scanner jam restart"))
    assert total == 7
    found = search.suggest(make_person(), "scanner jam restart")
    # then only the article sharing the telling words is suggested
    assert [a.pk for a in found] == [target.pk]
    assert max(shares.values()) == 1.0
