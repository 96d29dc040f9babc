from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """Configuration items and their classes, relationships and impact; services are CIs."""

    name = "steward.cmdb"
    label = "cmdb"
    verbose_name = "Configuration management"

    def ready(self) -> None:
        from steward.cmdb import demo as cmdb_demo
        from steward.core import demo
        from steward.core.navigation import register_for_permission as register

        demo.register("cmdb", cmdb_demo.load)
        register(
            "Service support",
            "Configuration items",
            "cmdb:ci_list",
            "cmdb.view_configurationitem",
            order=20,
        )
        register(
            "Administration",
            "CI classes",
            "cmdb:citype_list",
            "cmdb.change_citype",
            order=60,
        )
