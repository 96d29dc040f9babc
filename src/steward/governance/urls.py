from django.urls import path

from steward.governance import views

app_name = "governance"

urlpatterns = [
    path("kpis/", views.kpi_report, name="kpi_report"),
    path("variants/", views.variant_report, name="variants"),
]
