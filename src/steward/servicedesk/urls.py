"""The service desk's pages in the agent UI, under /servicedesk/."""

from django.urls import path

from steward.servicedesk.inbound_urls import urlpatterns as inbound_urlpatterns
from steward.servicedesk.views import satisfaction

app_name = "servicedesk"

urlpatterns = [
    path("satisfaction/", satisfaction.satisfaction_report, name="satisfaction_report"),
    *inbound_urlpatterns,
]
