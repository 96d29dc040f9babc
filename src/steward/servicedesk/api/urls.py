from rest_framework.routers import BaseRouter

from steward.servicedesk.api import views


def register(router: BaseRouter) -> None:
    router.register(
        "satisfaction-ratings", views.SatisfactionRatingViewSet, basename="satisfaction-rating"
    )
