"""The knowledge pages: who sees what, the list's query budget, edit, review, diff, files,
feedback, suggestions and the incident panel."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from steward.accounts.tests.factories import make_agent, make_person
from steward.knowledge.choices import ArticleAudience, ArticleState
from steward.knowledge.models import Article, ArticleUse
from steward.knowledge.tests.factories import (
    make_article,
    make_knowledge_manager,
    make_published,
)
from steward.tickets import services as ticket_services

pytestmark = pytest.mark.django_db


def client_for(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def test_list_filters_pages_and_keeps_its_query_budget(django_assert_max_num_queries):
    agent = make_agent()
    for n in range(30):
        make_article(actor=agent, title=f"Printer tray {n}")
    make_published(title="VPN drops at home", body="Restart the VPN client.")
    client = client_for(agent)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("knowledge:article_list"))
    assert response.status_code == 200
    assert response.content.count(b"Printer tray") == 24  # one page of 25, newest first
    response = client.get(reverse("knowledge:article_list"), {"q": "vpn"})
    assert b"VPN drops at home" in response.content and b"Printer tray" not in response.content
    response = client.get(reverse("knowledge:article_list"), {"state": "published"})
    assert b"VPN drops" in response.content and b"Printer tray" not in response.content


def test_requesters_do_not_reach_the_agent_pages():
    article = make_published()
    client = client_for(make_person())
    # the portal guard turns requesters away from staff pages; the views would answer 404
    assert client.get(reverse("knowledge:article_list")).status_code in (403, 404)
    assert client.get(article.get_absolute_url()).status_code in (403, 404)


def test_article_page_renders_markdown_safely_and_counts_views():
    article = make_published(body="**Bold** text\n\n`<script>alert(1)</script>` in code")
    client = client_for(make_agent())
    response = client.get(article.get_absolute_url())
    content = response.content.decode()
    assert "<strong>Bold</strong>" in content
    assert "<script>alert(1)</script>" not in content
    assert "&lt;script&gt;" in content
    article.refresh_from_db()
    assert article.views == 1


def test_create_edit_and_diff_through_the_pages():
    agent = make_agent()
    client = client_for(agent)
    response = client.post(
        reverse("knowledge:article_create"),
        {"title": "Reset a password", "body": "Step one", "audience": "portal"},
    )
    article = Article.objects.get()
    assert response.status_code == 302 and response["Location"] == article.get_absolute_url()
    response = client.post(
        reverse("knowledge:article_edit", args=[article.pk]),
        {
            "title": "Reset a password",
            "body": "Step one\nStep two",
            "audience": "portal",
            "note": "Added step two",
            "version": article.version,
        },
    )
    assert response.status_code == 302
    response = client.get(reverse("knowledge:article_diff", args=[article.pk]))
    assert b"+ Step two" in response.content
    # script is refused with a form error, and nothing changes
    response = client.post(
        reverse("knowledge:article_edit", args=[article.pk]),
        {
            "title": "x",
            "body": "<script>alert(1)</script>",
            "audience": "portal",
            "version": article.version + 1,
        },
    )
    assert response.status_code == 200 and b"script" in response.content
    article.refresh_from_db()
    assert article.revision == 2


def test_review_actions_on_the_page():
    article = make_article()
    author_client = client_for(article.created_by)
    response = author_client.get(article.get_absolute_url())
    assert b'data-testid="transition-in_review"' in response.content
    author_client.post(reverse("knowledge:article_transition", args=[article.pk, "published"]))
    article.refresh_from_db()
    assert article.state == ArticleState.DRAFT  # refused: a review is required
    author_client.post(reverse("knowledge:article_transition", args=[article.pk, "in_review"]))
    manager_client = client_for(make_knowledge_manager())
    response = manager_client.get(article.get_absolute_url())
    assert b'data-testid="transition-published"' in response.content
    manager_client.post(reverse("knowledge:article_transition", args=[article.pk, "published"]))
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED


def test_files_are_attached_and_downloaded_only_by_readers():
    article = make_published(audience=ArticleAudience.AGENTS)
    client = client_for(make_knowledge_manager())
    client.post(
        reverse("knowledge:attachment_add", args=[article.pk]),
        {"file": SimpleUploadedFile("steps.txt", b"step one\n", content_type="text/plain")},
    )
    attachment = article.attachments.get()
    url = reverse("knowledge:attachment_download", args=[attachment.pk])
    response = client.get(url)
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    assert client_for(make_person()).get(url).status_code in (403, 404)


def test_feedback_on_the_page_is_changeable():
    article = make_published()
    agent = make_agent()
    client = client_for(agent)
    url = reverse("knowledge:article_feedback", args=[article.pk])
    client.post(url, {"helpful": "yes"})
    client.post(url, {"helpful": "no"})
    response = client.get(article.get_absolute_url())
    assert b"0 yes, 1 no" in response.content


def test_suggestions_while_typing_on_the_incident_form():
    make_published(
        title="Outlook asks for the password again", body="Remove the stored credentials."
    )
    make_article(title="Outlook draft about password", body="Not published.")
    client = client_for(make_agent())
    form = client.get(reverse("incidents:incident_create"))
    assert reverse("knowledge:suggest").encode() in form.content
    response = client.get(
        reverse("knowledge:suggest"), {"title": "outlook password", "description": "keeps asking"}
    )
    assert b"Outlook asks for the password again" in response.content
    assert b"Outlook draft" not in response.content


def test_incident_panel_records_the_article_that_resolved_it():
    from steward.incidents.tests.factories import make_assigned_incident

    incident, agent = make_assigned_incident(title="Printer offline third floor")
    incident = ticket_services.transition_ticket(actor=agent, ticket=incident, to="in_progress")
    article = make_published(title="Printer shows offline", body="Wake the printer.")
    client = client_for(agent)
    page = client.get(incident.get_absolute_url())
    assert b'data-testid="incident-suggestions"' in page.content
    assert article.title.encode() in page.content
    response = client.post(
        reverse("knowledge:resolve_incident", args=[incident.number]),
        {"article": article.number},
    )
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.state == "resolved"
    assert ArticleUse.objects.filter(article=article, ticket=incident).exists()
    detail = client.get(article.get_absolute_url())
    assert b'data-testid="article-resolved">1<' in detail.content


def test_knowledge_managers_create_categories_agents_only_read_them(
    django_assert_max_num_queries,
):
    from steward.knowledge.models import Category

    url = reverse("knowledge:category_list")
    agent_client = client_for(make_agent())
    assert b'data-testid="category-form"' not in agent_client.get(url).content
    assert agent_client.post(url, {"name": "VPN"}).status_code == 403
    manager_client = client_for(make_knowledge_manager())
    assert manager_client.post(url, {"name": "VPN"}).status_code == 302
    refused = manager_client.post(url, {"name": "vpn"})
    assert b"A category with this name exists." in refused.content
    for n in range(5):
        make_article(category=Category.objects.create(name=f"C{n}"))
    with django_assert_max_num_queries(8):
        page = agent_client.get(url)
    assert page.content.count(b"<tr><td>") == 6
