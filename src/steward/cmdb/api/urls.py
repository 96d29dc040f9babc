from django.urls import path
from rest_framework.routers import BaseRouter

from steward.cmdb.api import views


def register(router: BaseRouter) -> None:
    router.register("ci-types", views.CITypeViewSet, basename="ci-type")
    router.register("ci-attributes", views.AttributeDefinitionViewSet, basename="ci-attribute")
    router.register(
        "configuration-items", views.ConfigurationItemViewSet, basename="configuration-item"
    )
    router.register(
        "relationship-types", views.RelationshipTypeViewSet, basename="relationship-type"
    )
    router.register("relationships", views.RelationshipViewSet, basename="relationship")
    router.register("baselines", views.BaselineViewSet, basename="baseline")


#: Paths beside the router's (``config/api_urls.py`` mounts them).
urlpatterns = [
    path("cmdb-imports/", views.ImportView.as_view(), name="cmdb-import"),
    path("cmdb-quality/", views.QualityView.as_view(), name="cmdb-quality"),
]
