from rest_framework.routers import BaseRouter

from steward.knowledge.api import views


def register(router: BaseRouter) -> None:
    router.register("knowledge-articles", views.ArticleViewSet, basename="knowledge-article")
    router.register(
        "knowledge-article-versions",
        views.ArticleVersionViewSet,
        basename="knowledge-article-version",
    )
    router.register(
        "knowledge-categories", views.KnowledgeCategoryViewSet, basename="knowledge-category"
    )
