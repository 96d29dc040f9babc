"""Event-log downloads from the web, under ``/exports/`` (the variant page links here)."""

from django.urls import path

from steward.interop.exporters import views

app_name = "exports"

urlpatterns = [
    path("<str:log_format>/", views.export, name="download"),
]
