from rest_framework.routers import BaseRouter

from steward.incidents.api import views


def register(router: BaseRouter) -> None:
    router.register("incidents", views.IncidentViewSet, basename="incident")
    router.register("incident-categories", views.CategoryViewSet, basename="incident-category")
    router.register("assignment-rules", views.AssignmentRuleViewSet, basename="assignment-rule")
