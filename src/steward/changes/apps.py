from django.apps import AppConfig


class ChangesConfig(AppConfig):
    """Change management: standard, normal and emergency changes, risk, approvals, CAB."""

    name = "steward.changes"
    label = "changes"
    verbose_name = "Changes"

    def ready(self) -> None:
        from steward.changes import hooks
        from steward.changes.models import Change
        from steward.changes.workflows import WORKFLOWS
        from steward.core import workflow

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
