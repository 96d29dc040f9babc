"""Articles linked to problems, known errors, services and configuration items, shown on
both sides and only to those who may see them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Person
from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.cmdb.tests.factories import make_ci, make_service
from steward.core.errors import NotFound
from steward.core.models import AuditEntry
from steward.knowledge import services
from steward.knowledge.models import Article
from steward.knowledge.tests.factories import make_article, make_published
from steward.problems.tests.factories import make_known_error, make_problem

pytestmark = pytest.mark.django_db


def web_for(user: Person) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_for(user: Person) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_an_article_links_problems_and_known_errors_audited() -> None:
    agent = make_agent()
    problem, known = make_problem(), make_known_error()
    article = make_article(actor=agent, problems=[problem, known])
    assert set(article.problems.all()) == {problem, known}
    created = AuditEntry.objects.get(action="article.created", object_id=str(article.pk))
    assert sorted(created.changes["problems"]) == sorted([problem.pk, known.pk])
    edited = services.edit_article(actor=agent, article=article, problems=[known])
    assert list(edited.problems.all()) == [known]
    entry = AuditEntry.objects.filter(action="article.edited").latest("pk")
    assert entry.changes["problems"] == [sorted([problem.pk, known.pk]), [known.pk]]


def test_nobody_links_or_unlinks_a_problem_they_cannot_see() -> None:
    problem = make_problem()
    restricted = make_agent()
    restricted.serves_organisations.add(make_organisation())  # restricted staff see no problems
    restricted = Person.objects.get(pk=restricted.pk)
    with pytest.raises(NotFound):
        make_article(actor=restricted, problems=[problem])
    assert not Article.objects.exists()
    article = make_article(problems=[problem])
    # an edit by someone who cannot see the link keeps it, even when they send no problems
    services.edit_article(actor=restricted, article=article, problems=[], title="Renamed")
    assert list(article.problems.all()) == [problem]
    # whoever sees it may unlink it
    services.edit_article(actor=article.created_by, article=article, problems=[])
    assert list(article.problems.all()) == []


def test_the_api_lists_links_to_staff_and_never_to_requesters(
    django_assert_max_num_queries: Any,
) -> None:
    agent = make_agent()
    problem, service, ci = make_known_error(), make_service(), make_ci()
    client = api_for(agent)
    # bad input: a problem id that does not exist is a 400 and nothing is made
    refused = client.post(
        reverse("knowledge-article-list"),
        {"title": "T", "body": "B", "problems": [999999]},
        format="json",
    )
    assert refused.status_code == 400 and not Article.objects.exists()
    made = client.post(
        reverse("knowledge-article-list"),
        {
            "title": "Spooler hangs",
            "body": "Restart the spooler.",
            "audience": "portal",
            "problems": [problem.pk],
            "services": [service.pk],
            "configuration_items": [ci.pk],
        },
        format="json",
    )
    assert made.status_code == 201, made.content
    assert made.json()["problems"] == [problem.pk]
    for _ in range(3):
        make_article(problems=[make_problem()])
    with django_assert_max_num_queries(12):
        listed = client.get(reverse("knowledge-article-list"))
    assert {len(row["problems"]) for row in listed.json()["results"]} == {1}
    # a requester reading the published portal article sees no problem link
    article = Article.objects.get(pk=made.json()["id"])
    published = make_published(title="Printer guide", problems=[problem])
    requester = api_for(make_person())
    read = requester.get(reverse("knowledge-article-detail", args=[published.pk]))
    assert read.status_code == 200 and read.json()["problems"] == []
    assert requester.get(reverse("knowledge-article-detail", args=[article.pk])).status_code == 404


def test_both_sides_show_the_links_on_the_web() -> None:
    agent = make_agent()
    problem, ci, service = make_known_error(title="Spooler hangs"), make_ci(), make_service()
    web = web_for(agent)
    # the form takes problem numbers; an unknown one is a form error and nothing is saved
    refused = web.post(
        reverse("knowledge:article_create"),
        {"title": "Spooler", "body": "Restart it.", "audience": "agents", "problems": "PRB9999999"},
    )
    assert refused.status_code == 200 and "No such problem: PRB9999999" in refused.content.decode()
    assert not Article.objects.exists()
    saved = web.post(
        reverse("knowledge:article_create"),
        {
            "title": "Spooler restarts",
            "body": "Restart it.",
            "audience": "agents",
            "problems": problem.number.lower(),
            "configuration_items": [ci.pk],
            "services": [service.pk],
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:2000]
    article = Article.objects.get()
    assert list(article.problems.all()) == [problem]
    detail = web.get(article.get_absolute_url()).content.decode()
    assert problem.number in detail and "(known error)" in detail
    # the problem's page lists its articles, and so do the CI's and the service's pages
    assert article.title in web.get(problem.get_absolute_url()).content.decode()
    for item in (ci, service):
        page = web.get(reverse("cmdb:ci_detail", args=[item.pk])).content.decode()
        assert 'data-testid="ci-articles"' in page and article.title in page
    # the edit form shows the linked numbers
    form = web.get(reverse("knowledge:article_edit", args=[article.pk])).content.decode()
    assert problem.number in form


def test_the_portal_never_shows_problem_links() -> None:
    problem = make_known_error(title="Secret root cause")
    article = make_published(title="Printing from home", problems=[problem])
    page = web_for(make_person()).get(reverse("portal:knowledge_article", args=[article.pk]))
    assert page.status_code == 200
    assert problem.number not in page.content.decode()
