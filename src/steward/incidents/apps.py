from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incident management."""

    name = "steward.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from steward.core import workflow
        from steward.incidents import (
            hooks,
            tasks,  # noqa: F401  (registers the schedule)
        )
        from steward.incidents.models import Incident
        from steward.incidents.workflows import WORKFLOWS

        workflow.register(Incident, WORKFLOWS)
        workflow.register_guard("incidents.may_reopen", hooks.may_reopen)
        workflow.register_effect("incidents.start_reopen_window", hooks.start_reopen_window)
        workflow.register_effect("incidents.end_reopen_window", hooks.end_reopen_window)
        workflow.register_effect("incidents.count_reopen", hooks.count_reopen)
        workflow.register_effect("incidents.clear_hold_reason", hooks.clear_hold_reason)
