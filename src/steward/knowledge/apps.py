from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    """Knowledge management: articles, review, search, suggestions and feedback."""

    name = "steward.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge"

    def ready(self) -> None:
        from steward.core import demo, navigation, slots, workflow
        from steward.knowledge import demo as knowledge_demo
        from steward.knowledge import services
        from steward.knowledge.models import Article
        from steward.knowledge.views import incident_panel_context, problem_panel_context
        from steward.knowledge.workflows import WORKFLOWS
        from steward.tickets import panels

        workflow.register(Article, WORKFLOWS)
        workflow.register_effect("knowledge.stamp_published", services.stamp_published)
        demo.register("knowledge", knowledge_demo.load)
        navigation.register_for_permission(
            "Catalog and knowledge",
            "Knowledge base",
            "knowledge:article_list",
            "knowledge.view_article",
            order=10,
        )
        panels.register(
            "incidents.incident", "knowledge/_incident_panel.html", incident_panel_context
        )
        slots.register("incidents.incident_form", "knowledge/_suggestions_slot.html")
        # Both sides of an article's links: the problem's page and the CMDB item's page.
        panels.register("problems.problem", "knowledge/_problem_panel.html", problem_panel_context)
        slots.register("cmdb.ci_detail", "knowledge/_ci_articles_slot.html")
