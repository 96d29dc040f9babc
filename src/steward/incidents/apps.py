from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incident management."""

    name = "steward.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from steward.core import workflow
        from steward.incidents import (
            services,
            tasks,  # noqa: F401  (registers the schedule)
        )
        from steward.incidents.models import Incident
        from steward.incidents.workflows import WORKFLOWS

        workflow.register(Incident, WORKFLOWS)
        workflow.register_guard("incidents.may_reopen", services.may_reopen)
        workflow.register_effect("incidents.start_reopen_window", services.start_reopen_window)
        workflow.register_effect("incidents.end_reopen_window", services.end_reopen_window)
        workflow.register_effect("incidents.count_reopen", services.count_reopen)
        workflow.register_effect("incidents.clear_hold_reason", services.clear_hold_reason)
