from django.apps import AppConfig


class SlaConfig(AppConfig):
    """Service level management: agreements, targets, clocks, breach sweep."""

    name = "steward.sla"
    label = "sla"
    verbose_name = "Service levels"

    def ready(self) -> None:
        from steward.core import audit, demo, profiles, workflow
        from steward.core.navigation import register_for_permission
        from steward.sla import (
            actions,
            hooks,
            tasks,  # noqa: F401  (registers the schedule)
        )
        from steward.sla import demo as sla_demo

        for name in hooks.SLA_EFFECTS:
            workflow.register_effect(name, hooks.drive_clocks)
        audit.listen(hooks.on_audit_entry)
        profiles.on_remap(hooks.on_remap)
        actions.register_builtin()
        demo.register("sla", sla_demo.load)
        register_for_permission(
            "Service delivery",
            "Service levels",
            "sla:agreement_list",
            "sla.view_agreement",
            order=0,
        )
        register_for_permission(
            "Service delivery",
            "Service level compliance",
            "sla:compliance_report",
            "sla.view_slaclock",
            order=2,
        )
        register_for_permission(
            "Service delivery",
            "Business calendars",
            "sla:calendar_list",
            "sla.view_businesscalendar",
            order=1,
        )
        from steward.sla.views import panel_context
        from steward.tickets import panels
        from steward.tickets.models import ticket_kinds

        for kind in ticket_kinds():
            panels.register(kind, "sla/_clock_panel.html", panel_context)
