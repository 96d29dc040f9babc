from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    """Incident management."""

    name = "steward.incidents"
    label = "incidents"
    verbose_name = "Incidents"

    def ready(self) -> None:
        from steward.core import demo, workflow
        from steward.incidents import demo as incidents_demo
        from steward.incidents import (
            hooks,
            services,
            tasks,  # noqa: F401  (registers the schedule)
        )
        from steward.incidents.models import Incident
        from steward.incidents.services import major
        from steward.incidents.workflows import WORKFLOWS
        from steward.tickets import services as tickets

        workflow.register(Incident, WORKFLOWS)
        workflow.register_guard("incidents.may_reopen", hooks.may_reopen)
        workflow.register_effect("incidents.start_reopen_window", hooks.start_reopen_window)
        workflow.register_effect("incidents.end_reopen_window", hooks.end_reopen_window)
        workflow.register_effect("incidents.count_reopen", hooks.count_reopen)
        workflow.register_effect("incidents.clear_hold_reason", hooks.clear_hold_reason)
        workflow.register_effect("incidents.resolve_children", major.resolve_children)
        workflow.register_guard("incidents.children_resolvable", major.children_resolvable)
        workflow.register_guard("incidents.parent_resolved", major.parent_resolved)
        workflow.register_guard("incidents.review_completed", major.review_completed)
        tickets.register_editor(
            "incidents.incident",
            lambda *, ticket, **kwargs: services.edit_incident(incident=ticket, **kwargs),
        )
        demo.register("incidents", incidents_demo.load)
        from steward.sla import actions as sla_actions

        sla_actions.register(
            "escalate",
            "Escalate to the next support line",
            hooks.escalate_on_breach,
            kinds=frozenset({"incidents.incident"}),
        )
        _register_navigation()
        from steward.incidents.views.incidents import panel_context
        from steward.tickets import panels

        panels.register("incidents.incident", "incidents/_incident_panel.html", panel_context)
        from steward.cmdb.views.impact import incident_panel_context

        panels.register(
            "incidents.incident", "cmdb/_incident_services_panel.html", incident_panel_context
        )


def _register_navigation() -> None:
    from steward.core.navigation import register_for_permission as register

    register(
        "Service desk",
        "Interactions",
        "interactions:interaction_list",
        "incidents.view_interaction",
        order=2,
    )
    register(
        "Service support",
        "Incidents",
        "incidents:incident_list",
        "incidents.view_incident",
        order=0,
    )
    register(
        "Service support",
        "Major incidents",
        "incidents:major_list",
        "incidents.view_incident",
        order=1,
    )
    register(
        "Service support",
        "First-contact resolution",
        "incidents:fcr_report",
        "incidents.view_interaction",
        order=2,
    )
