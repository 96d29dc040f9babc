from django.apps import AppConfig


class CoreConfig(AppConfig):
    """Framework pieces without ITIL words: audit, policy, API conventions, tasks."""

    name = "steward.core"
    label = "core"
    verbose_name = "Core"

    def ready(self) -> None:
        from steward.core import tasks  # noqa: F401  (registers the core schedule)
