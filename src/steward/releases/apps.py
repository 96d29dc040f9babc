from django.apps import AppConfig


class ReleasesConfig(AppConfig):
    """Release and deployment management and the definitive media library."""

    name = "steward.releases"
    label = "releases"
    verbose_name = "Releases"

    def ready(self) -> None:
        from steward.core import demo, workflow
        from steward.releases import demo as releases_demo
        from steward.releases import hooks, services
        from steward.releases.models import Deployment, DmlArtefact, Release
        from steward.releases.views import panels as release_panels
        from steward.releases.workflows import (
            ARTEFACT_WORKFLOWS,
            DEPLOYMENT_WORKFLOWS,
            RELEASE_WORKFLOWS,
        )
        from steward.tickets import panels
        from steward.tickets import services as tickets

        workflow.register(Release, RELEASE_WORKFLOWS)
        workflow.register(Deployment, DEPLOYMENT_WORKFLOWS)
        workflow.register(DmlArtefact, ARTEFACT_WORKFLOWS)
        for name, guard in (
            ("releases.production_ready", hooks.production_ready),
            ("releases.deployed_to_production", hooks.deployed_to_production),
            ("releases.deployment_may_start", hooks.deployment_may_start),
        ):
            workflow.register_guard(name, guard)
        for name, effect in (
            ("releases.stamp_actual_start", hooks.stamp_actual_start),
            ("releases.stamp_actual_end", hooks.stamp_actual_end),
            ("releases.stamp_deployment_start", hooks.stamp_deployment_start),
            ("releases.stamp_deployment_end", hooks.stamp_deployment_end),
            ("releases.stamp_approval", hooks.stamp_approval),
            ("releases.stamp_retirement", hooks.stamp_retirement),
        ):
            workflow.register_effect(name, effect)
        tickets.register_editor("releases.release", services.edit_release)
        panels.register(
            "releases.release", "releases/_release_panel.html", release_panels.release_panel
        )
        panels.register(
            "changes.change",
            "releases/_change_releases_panel.html",
            release_panels.change_panel,
        )
        demo.register("releases", releases_demo.load)
        _register_navigation()


def _register_navigation() -> None:
    from steward.core.navigation import register_for_permission as register

    register(
        "Service support", "Releases", "releases:release_list", "releases.view_release", order=6
    )
    register(
        "Service support",
        "Media library",
        "releases:artefact_list",
        "releases.view_dmlartefact",
        order=7,
    )
