from django.apps import AppConfig


class ProblemsConfig(AppConfig):
    """Problem management and the known-error database."""

    name = "steward.problems"
    label = "problems"
    verbose_name = "Problems"

    def ready(self) -> None:
        from steward.core import demo, slots, workflow
        from steward.problems import demo as problems_demo
        from steward.problems import (
            hooks,
            services,
            tasks,  # noqa: F401  (registers the schedule)
        )
        from steward.problems.models import Problem
        from steward.problems.views import panels as problem_panels
        from steward.problems.workflows import WORKFLOWS
        from steward.tickets import panels
        from steward.tickets import services as tickets

        workflow.register(Problem, WORKFLOWS)
        workflow.register_guard("problems.known_error_ready", hooks.known_error_ready)
        workflow.register_guard("problems.has_fix", hooks.has_fix)
        workflow.register_effect("problems.record_known_error", hooks.record_known_error)
        tickets.register_editor("problems.problem", services.edit_problem)
        panels.register(
            "problems.problem", "problems/_problem_panel.html", problem_panels.problem_panel
        )
        panels.register(
            "incidents.incident",
            "problems/_incident_problem_panel.html",
            problem_panels.incident_panel,
        )
        demo.register("problems", problems_demo.load)
        slots.register("incidents.incident_form", "problems/_known_errors_slot.html")
        _register_navigation()


def _register_navigation() -> None:
    from steward.core.navigation import register_for_permission as register

    register(
        "Service support", "Problems", "problems:problem_list", "problems.view_problem", order=3
    )
    register(
        "Service support",
        "Known errors",
        "problems:known_error_list",
        "problems.view_problem",
        order=4,
    )
    register(
        "Service support",
        "Problem proposals",
        "problems:proposal_list",
        "problems.view_problemproposal",
        order=5,
    )
