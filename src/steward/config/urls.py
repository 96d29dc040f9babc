"""URLs: the web UI per app, the REST API under /api/v1/, health and metrics."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from steward.core import views as core_views
from steward.incidents import urls as incident_urls

urlpatterns = [
    path("", include("steward.core.urls")),
    path("accounts/", include("steward.accounts.urls")),
    path("cmdb/", include("steward.cmdb.urls")),
    path("tickets/", include("steward.tickets.urls")),
    path("incidents/", include("steward.incidents.urls")),
    path("service-levels/", include("steward.sla.urls")),
    path("interactions/", include(incident_urls.interaction_patterns)),
    path("problems/", include("steward.problems.urls")),
    # Before changes/: its <number>/ page would take "schedule/".
    path("changes/schedule/", include("steward.changes.schedule_urls")),
    path("changes/", include("steward.changes.urls")),
    path("knowledge/", include("steward.knowledge.urls")),
    path("releases/", include("steward.releases.urls")),
    path("notifications/", include("steward.servicedesk.notify.urls")),
    path("portal/", include("steward.servicedesk.portal_urls")),
    path("servicedesk/", include("steward.servicedesk.urls")),
    path("governance/", include("steward.governance.urls")),
    path("exports/", include("steward.interop.exporters.urls")),
    path("imports/", include("steward.interop.urls")),
    path("api/v1/", include("steward.config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    path("metrics", core_views.metrics_view, name="metrics"),
]

handler400 = "steward.core.views.bad_request"
handler403 = "steward.core.views.permission_denied"
handler404 = "steward.core.views.not_found"
handler500 = "steward.core.views.server_error"
