from django.apps import AppConfig


class CmdbConfig(AppConfig):
    """Configuration items and their types; services are CIs of a service type."""

    name = "steward.cmdb"
    label = "cmdb"
    verbose_name = "Configuration management"
