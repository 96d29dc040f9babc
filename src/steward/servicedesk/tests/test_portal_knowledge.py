"""The portal's knowledge pages: requesters find, read and rate only published portal
articles; suggestions while reporting an incident."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from steward.accounts.tests.factories import make_person
from steward.knowledge import services
from steward.knowledge.choices import ArticleAudience
from steward.knowledge.models import ArticleFeedback
from steward.knowledge.tests.factories import (
    make_article,
    make_knowledge_manager,
    make_published,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def requester_client():
    client = Client()
    person = make_person()
    client.force_login(person)
    client.person = person  # type: ignore[attr-defined]
    return client


def test_search_finds_only_published_portal_articles_not_even_counted(requester_client):
    public = make_published(title="VPN from home", body="Install the client.")
    make_published(title="VPN server restart", body="Agents only.", audience="agents")
    make_article(title="VPN draft", body="Unpublished.", audience=ArticleAudience.PORTAL)
    response = requester_client.get(reverse("portal:knowledge"), {"q": "vpn"})
    content = response.content.decode()
    assert public.title in content
    assert "VPN server restart" not in content and "VPN draft" not in content
    assert response.context["page"].paginator.count == 1
    listing = requester_client.get(reverse("portal:knowledge"))
    assert listing.context["page"].paginator.count == 1


def test_reading_an_article_counts_a_view_and_takes_feedback(requester_client):
    article = make_published(body="**Restart** it")
    response = requester_client.get(reverse("portal:knowledge_article", args=[article.pk]))
    assert b"<strong>Restart</strong>" in response.content
    article.refresh_from_db()
    assert article.views == 1
    url = reverse("portal:knowledge_feedback", args=[article.pk])
    requester_client.post(url, {"helpful": "no"})
    requester_client.post(url, {"helpful": "yes"})
    assert list(ArticleFeedback.objects.values_list("person", "helpful")) == [
        (requester_client.person.pk, True)
    ]


def test_agents_only_and_draft_articles_are_not_found(requester_client):
    for article in (make_published(audience="agents"), make_article(audience="portal")):
        url = reverse("portal:knowledge_article", args=[article.pk])
        assert requester_client.get(url).status_code == 404
        feedback = reverse("portal:knowledge_feedback", args=[article.pk])
        assert requester_client.post(feedback, {"helpful": "yes"}).status_code == 404
    assert not ArticleFeedback.objects.exists()


def test_files_of_portal_articles_download_and_others_do_not(requester_client):
    import io

    public = make_published()
    internal = make_published(audience="agents")
    manager = make_knowledge_manager()
    files = [
        services.add_attachment(
            actor=manager, article=a, file=io.BytesIO(b"notes\n"), filename="notes.txt"
        )
        for a in (public, internal)
    ]
    ok = requester_client.get(reverse("portal:knowledge_attachment", args=[files[0].pk]))
    assert ok.status_code == 200
    refused = requester_client.get(reverse("portal:knowledge_attachment", args=[files[1].pk]))
    assert refused.status_code == 404


def test_report_form_suggests_articles_while_typing(requester_client):
    make_published(title="Printer shows offline", body="Press a key to wake the printer.")
    make_published(title="Printer driver for agents", body="Internal.", audience="agents")
    form = requester_client.get(reverse("portal:report"))
    assert reverse("portal:knowledge_suggest").encode() in form.content
    response = requester_client.get(
        reverse("portal:knowledge_suggest"), {"title": "the printer is offline", "description": ""}
    )
    assert b"Printer shows offline" in response.content
    assert b"Printer driver" not in response.content
