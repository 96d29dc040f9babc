"""Demo articles for ``make run``: a few published answers, one draft in review."""

from __future__ import annotations


def load() -> str:
    from steward.accounts.models import Person
    from steward.core.workflow import workflow_for
    from steward.knowledge import services
    from steward.knowledge.choices import ArticleAudience, ArticleState
    from steward.knowledge.models import Article, Category
    from steward.knowledge.workflows import requires_review

    if Article.objects.exists():
        return "knowledge: already loaded"
    author = Person.objects.filter(is_superuser=True).order_by("pk").first()
    if author is None:
        return "knowledge: no administrator to write articles"
    categories = {}
    for name in ("Email", "Network", "Printing", "Accounts"):
        categories[name] = Category.objects.get_or_create(name=name)[0]
    articles = [
        (
            "Outlook keeps asking for my password",
            "Email",
            ArticleAudience.PORTAL,
            "If Outlook asks for your password again and again:\n\n"
            "1. Close Outlook.\n2. Open **Credential Manager** and remove every entry starting "
            "with `MicrosoftOffice`.\n3. Start Outlook and sign in once.\n\n"
            "Still asking? Report an incident and mention this article.",
        ),
        (
            "Connecting to the VPN from home",
            "Network",
            ArticleAudience.PORTAL,
            "Install the VPN client from the software centre, then sign in with your usual "
            "account. The first connection asks for a one-time code from your authenticator "
            "app.\n\nIf the VPN connects but nothing loads, restart the client: your home "
            "router may have given you a new address.",
        ),
        (
            "Printer shows offline on the third floor",
            "Printing",
            ArticleAudience.PORTAL,
            "The third-floor printers sleep after an hour. Press any key on the printer panel "
            "and wait a minute; the printer comes back online by itself.\n\n"
            "If it stays offline, remove and re-add the printer from *Settings > Printers*.",
        ),
        (
            "Unlocking an account after too many sign-in attempts",
            "Accounts",
            ArticleAudience.AGENTS,
            "Agents: check the person's identity by calling back the number in the directory, "
            "then unlock the account in the directory console and ask them to change their "
            "password at the next sign-in. Record the call as an interaction.",
        ),
        (
            "Mailbox full: archiving old mail",
            "Email",
            ArticleAudience.PORTAL,
            "When your mailbox is full you cannot send mail. Use *File > Tools > Mailbox "
            "Cleanup* to archive mail older than a year, and empty *Deleted Items*.",
        ),
    ]
    for title, category, audience, body in articles:
        article = services.create_article(
            actor=author,
            title=title,
            body=body,
            audience=audience,
            category=categories[category],
        )
        if requires_review(workflow_for(Article)):
            article = services.transition_article(
                actor=author, article=article, to=ArticleState.IN_REVIEW
            )
        services.transition_article(actor=author, article=article, to=ArticleState.PUBLISHED)
    services.create_article(
        actor=author,
        title="Wi-Fi drops in meeting rooms",
        body="Draft: the meeting-room access points roam badly; collecting cases.",
        category=categories["Network"],
    )
    return f"knowledge: {len(articles) + 1} articles"
