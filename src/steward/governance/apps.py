from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    """Process governance: service KPIs and lifecycle variants now, ISO/COBIT evidence later."""

    name = "steward.governance"
    label = "governance"
    verbose_name = "Governance"

    def ready(self) -> None:
        from steward.core.navigation import register_for_permission as register
        from steward.governance.models import VIEW_KPIS

        register("Governance", "Service KPIs", "governance:kpi_report", VIEW_KPIS, order=1)
        register("Governance", "Lifecycle variants", "governance:variants", VIEW_KPIS, order=2)
