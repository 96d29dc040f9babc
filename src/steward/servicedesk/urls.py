"""The service desk's pages."""

from steward.servicedesk.inbound_urls import urlpatterns as inbound_urlpatterns

app_name = "servicedesk"

urlpatterns = [*inbound_urlpatterns]
