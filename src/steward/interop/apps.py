from django.apps import AppConfig


class InteropConfig(AppConfig):
    """Importers (public ITSM event logs) and exporters (XES, OCEL) over the one audit log."""

    name = "steward.interop"
    label = "interop"
    verbose_name = "Import and export"

    def ready(self) -> None:
        from steward.core.navigation import register_for_permission

        register_for_permission(
            "Administration", "Imports", "interop:importrun_list", "interop.view_importrun"
        )
