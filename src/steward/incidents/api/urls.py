from django.urls import path
from rest_framework.routers import BaseRouter

from steward.incidents.api import views


def register(router: BaseRouter) -> None:
    router.register("incidents", views.IncidentViewSet, basename="incident")
    router.register("incident-categories", views.CategoryViewSet, basename="incident-category")
    router.register("assignment-rules", views.AssignmentRuleViewSet, basename="assignment-rule")
    router.register(
        "major-incident-updates",
        views.MajorIncidentUpdateViewSet,
        basename="major-incident-update",
    )
    router.register(
        "post-incident-reviews", views.PostIncidentReviewViewSet, basename="post-incident-review"
    )
    router.register("review-actions", views.ReviewActionViewSet, basename="review-action")
    router.register("interactions", views.InteractionViewSet, basename="interaction")


#: Paths beside the router's (``config/api_urls.py`` mounts them).
urlpatterns = [
    path(
        "reports/first-contact-resolution/",
        views.FirstContactResolutionView.as_view(),
        name="first-contact-resolution",
    ),
]
