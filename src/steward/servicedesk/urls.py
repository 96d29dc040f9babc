"""The service desk's pages in the agent UI, under /service-desk/."""

from django.urls import path

from steward.servicedesk.views import satisfaction

app_name = "servicedesk"

urlpatterns = [
    path("satisfaction/", satisfaction.satisfaction_report, name="satisfaction_report"),
]
