from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Change management: standard, normal and emergency changes, risk, approvals, CAB."""

    name = "steward.changes"
    label = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        from steward.changes import demo as changes_demo
        from steward.changes import hooks, services
        from steward.changes.models import Change
        from steward.changes.views import panel
        from steward.changes.workflows import WORKFLOWS
        from steward.core import demo, workflow
        from steward.tickets import panels
        from steward.tickets import services as tickets

        workflow.register(Change, WORKFLOWS)
        for name in (
            "not_standard",
            "standard_only",
            "emergency_only",
            "ready_for_approval",
            "approved",
            "still_approved",
            "tasks_finished",
            "review_complete",
        ):
            workflow.register_guard(f"changes.{name}", getattr(hooks, name))
        for name in ("request_approvals", "withdraw_approvals", "record_start", "record_end"):
            workflow.register_effect(f"changes.{name}", getattr(hooks, name))
        tickets.register_editor("changes.change", services.edit_change)
        panels.register("changes.change", "changes/_change_panel.html", panel.change_panel)
        demo.register("changes", changes_demo.load)
        _register_navigation()


def _register_navigation() -> None:
    from steward.core.navigation import register_for_permission as register

    register("Service support", "Changes", "changes:change_list", "changes.view_change", order=5)
    register(
        "Service support", "CAB meetings", "changes:meeting_list", "changes.view_change", order=6
    )
    register(
        "Administration",
        "Change risk",
        "changes:question_list",
        "changes.change_riskquestion",
        order=20,
    )
    register(
        "Administration",
        "Approval boards",
        "changes:board_list",
        "changes.view_approvalboard",
        order=21,
    )
