"""The REST API, version 1: one router, each app registering its viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from steward.accounts.api.urls import register as register_accounts
from steward.changes.api.urls import register as register_changes
from steward.changes.api.urls import urlpatterns as change_paths
from steward.changes.schedule.api import register as register_change_schedule
from steward.changes.schedule.api import urlpatterns as change_schedule_paths
from steward.cmdb.api.urls import register as register_cmdb
from steward.cmdb.api.urls import urlpatterns as cmdb_paths
from steward.config import openapi  # noqa: F401  (registers the schema extensions)
from steward.core.api.profile import ProcessProfileView
from steward.governance.api.urls import urlpatterns as governance_paths
from steward.incidents.api.urls import register as register_incidents
from steward.incidents.api.urls import urlpatterns as incident_paths
from steward.interop.api.urls import register as register_interop
from steward.interop.exporters.api import urlpatterns as export_paths
from steward.knowledge.api.urls import register as register_knowledge
from steward.problems.api.urls import register as register_problems
from steward.releases.api.urls import register as register_releases
from steward.servicedesk.api.inbound import register as register_mail_in
from steward.servicedesk.api.urls import register as register_servicedesk
from steward.servicedesk.notify.api import register as register_notifications
from steward.sla.api.urls import register as register_sla
from steward.sla.api.urls import urlpatterns as sla_paths
from steward.tickets.api.urls import register as register_tickets

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
register_accounts(router)
register_cmdb(router)
register_tickets(router)
register_incidents(router)
register_problems(router)
register_change_schedule(router)
register_changes(router)
register_knowledge(router)
register_releases(router)
register_notifications(router)
register_servicedesk(router)
register_mail_in(router)
register_sla(router)
register_interop(router)

urlpatterns = [
    *router.urls,
    path("process-profile/", ProcessProfileView.as_view(), name="process-profile"),
    *incident_paths,
    *sla_paths,
    *cmdb_paths,
    *governance_paths,
    *export_paths,
    *change_schedule_paths,
    *change_paths,
]
