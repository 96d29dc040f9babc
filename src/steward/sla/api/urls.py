from django.urls import path
from rest_framework.routers import BaseRouter

from steward.sla.api import views


def register(router: BaseRouter) -> None:
    router.register(
        "business-calendars", views.BusinessCalendarViewSet, basename="business-calendar"
    )
    router.register("agreements", views.AgreementViewSet, basename="agreement")
    router.register("sla-targets", views.TargetViewSet, basename="sla-target")
    router.register("sla-clocks", views.SlaClockViewSet, basename="sla-clock")


#: Paths beside the router's (``config/api_urls.py`` mounts them).
urlpatterns = [
    path("reports/sla-compliance/", views.ComplianceView.as_view(), name="sla-compliance"),
    path("reports/sla-breaches/", views.BreachListView.as_view(), name="sla-breaches"),
]
