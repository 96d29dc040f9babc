from django.apps import AppConfig


class ChangeScheduleConfig(AppConfig):
    """Windows, conflict detection and the calendar of changes (models in ``changes``)."""

    name = "steward.changes.schedule"
    label = "change_schedule"
    verbose_name = "Change schedule"

    def ready(self) -> None:
        from steward.changes.schedule import hooks

        hooks.register()
