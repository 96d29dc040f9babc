from django.urls import path

from steward.governance.api import views

#: Paths beside the router's (``config/api_urls.py`` mounts them).
urlpatterns = [
    path("reports/kpis/", views.KpiReportView.as_view(), name="kpi-report"),
    path("reports/variants/", views.VariantReportView.as_view(), name="variant-report"),
]
