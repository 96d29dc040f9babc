"""The knowledge API: permissions per role, versions and diff, review, search, suggestions,
feedback, files, and problem+json refusals."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from steward.accounts.models import Organisation
from steward.accounts.tests.factories import make_agent, make_organisation, make_person
from steward.core.testing import ApiResourceTests, assert_problem
from steward.knowledge.choices import ArticleState
from steward.knowledge.models import Article, ArticleFeedback, ArticleUse
from steward.knowledge.tests.factories import (
    make_article,
    make_knowledge_manager,
    make_published,
)
from steward.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def client_for(person: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


class TestArticleApi(ApiResourceTests):
    basename = "knowledge-article"
    organisation_scoped = False
    list_query_budget = 10

    def make_organisation(self) -> Organisation:
        return make_organisation()

    def make_object(self, organisation: Organisation) -> Article:
        return make_article()

    def allowed_user(self, organisation: Organisation) -> Any:
        return make_agent(organisation=organisation)

    def denied_user(self, organisation: Organisation) -> Any:
        return make_person(organisation=organisation)

    def create_payload(self, organisation: Organisation) -> dict[str, Any]:
        return {"title": "Reset a password", "body": "Open the portal.", "audience": "portal"}

    def update_payload(self, obj: Article) -> dict[str, Any]:
        return {"body": obj.body + " Then sign in.", "note": "clarified"}


def test_edit_makes_a_version_and_diff_shows_it():
    article = make_article(body="One")
    client = client_for(article.created_by)
    url = reverse("knowledge-article-detail", args=[article.pk])
    response = client.patch(url, {"body": "One\nTwo", "note": "added two"}, format="json")
    assert response.status_code == 200 and response.json()["revision"] == 2
    diff = client.get(reverse("knowledge-article-diff", args=[article.pk])).json()
    assert (diff["older"], diff["newer"]) == (1, 2)
    assert "+Two" in diff["diff"]
    versions = client.get(reverse("knowledge-article-version-list"), {"article": article.pk})
    assert [v["number"] for v in versions.json()["results"]] == [2, 1]


def test_script_is_a_problem_and_nothing_changes():
    article = make_article(body="Safe")
    client = client_for(article.created_by)
    url = reverse("knowledge-article-detail", args=[article.pk])
    body = assert_problem(client.patch(url, {"body": "<script>x()</script>"}, format="json"), 400)
    assert "script" in str(body).lower()
    article.refresh_from_db()
    assert article.body == "Safe" and article.revision == 1


def test_review_through_the_api():
    article = make_article()
    author = client_for(article.created_by)
    url = reverse("knowledge-article-transition", args=[article.pk])
    refused = assert_problem(author.post(url, {"to": "published"}, format="json"), 400)
    assert "requires a review" in str(refused)
    assert author.post(url, {"to": "in_review"}, format="json").status_code == 200
    assert_problem(author.post(url, {"to": "published"}, format="json"), 403)
    manager = client_for(make_knowledge_manager())
    done = manager.post(url, {"to": "published"}, format="json")
    assert done.status_code == 200 and done.json()["state"] == ArticleState.PUBLISHED


def test_requesters_search_only_published_portal_articles():
    make_published(title="VPN at home", audience="portal")
    make_published(title="VPN concentrator", audience="agents")
    make_article(title="VPN draft", audience="portal")
    requester = client_for(make_person())
    found = requester.get(reverse("knowledge-article-search"), {"q": "vpn"}).json()
    assert [a["title"] for a in found] == ["VPN at home"]
    listed = requester.get(reverse("knowledge-article-list"), {"q": "vpn"}).json()
    assert [a["title"] for a in listed["results"]] == ["VPN at home"]
    agent = client_for(make_agent())
    found = agent.get(reverse("knowledge-article-search"), {"q": "vpn"}).json()
    assert {a["title"] for a in found} == {"VPN at home", "VPN concentrator", "VPN draft"}


def test_search_ranks_title_matches_first():
    make_published(title="Mailbox full", body="Archive old mail to free space.")
    make_published(title="Archive old mail", body="How to archive mail in the mailbox.")
    found = (
        client_for(make_agent()).get(reverse("knowledge-article-search"), {"q": "archive"}).json()
    )
    assert found[0]["title"] == "Archive old mail"
    assert found[0]["search_rank"] >= found[1]["search_rank"]


def test_suggest_offers_published_articles_only():
    make_published(title="Outlook keeps asking for my password", body="Clear credentials.")
    make_article(title="Outlook password draft", body="Not yet.")
    found = (
        client_for(make_person())
        .get(
            reverse("knowledge-article-suggest"),
            {"text": "outlook asks for password every minute"},
        )
        .json()
    )
    assert [a["title"] for a in found] == ["Outlook keeps asking for my password"]


def test_feedback_and_resolved_counts():
    from steward.incidents.tests.factories import make_assigned_incident

    article = make_published()
    reader = make_person()
    url = reverse("knowledge-article-feedback", args=[article.pk])
    client_for(reader).post(url, {"helpful": True}, format="json")
    response = client_for(reader).post(url, {"helpful": False}, format="json")
    assert (response.json()["helpful_yes"], response.json()["helpful_no"]) == (0, 1)
    assert ArticleFeedback.objects.count() == 1
    incident, agent = make_assigned_incident()
    ticket_services.transition_ticket(actor=agent, ticket=incident, to="in_progress")
    used = client_for(agent).post(
        reverse("knowledge-article-resolve-incident", args=[article.pk]),
        {"ticket": incident.pk},
        format="json",
    )
    assert used.status_code == 201
    assert ArticleUse.objects.filter(article=article, ticket=incident).exists()
    detail = client_for(agent).get(reverse("knowledge-article-detail", args=[article.pk]))
    assert detail.json()["resolved_incidents"] == 1
    # a requester cannot record one
    assert_problem(
        client_for(make_person()).post(
            reverse("knowledge-article-resolve-incident", args=[article.pk]),
            {"ticket": incident.pk},
            format="json",
        ),
        400,
    )


def test_files_are_checked_on_upload():
    article = make_article()
    client = client_for(article.created_by)
    url = reverse("knowledge-article-attachments", args=[article.pk])
    ok = client.post(url, {"file": SimpleUploadedFile("a.txt", b"hello\n")}, format="multipart")
    assert ok.status_code == 201
    bad = client.post(
        url,
        {"file": SimpleUploadedFile("a.pdf", b"MZ\x90\x00" + b"\0" * 60)},
        format="multipart",
    )
    assert_problem(bad, 400)
    assert article.attachments.count() == 1


def test_categories_are_for_knowledge_managers():
    url = reverse("knowledge-category-list")
    assert_problem(client_for(make_agent()).post(url, {"name": "VPN"}, format="json"), 403)
    made = client_for(make_knowledge_manager()).post(url, {"name": "VPN"}, format="json")
    assert made.status_code == 201
