from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Framework pieces without ITIL words: audit, policy, API conventions, tasks."""

    name = "steward.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from steward.core import tasks  # noqa: F401  (registers the core schedule)
        from steward.core.navigation import NavEntry, register

        register(
            NavEntry(
                "Administration",
                "Process profile",
                "core:process_profile",
                lambda user: bool(user.has_perm("core.view_sitesetting")),
                order=10,
            )
        )
