from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    """The service desk's ways in and out: the self-service portal and the e-mail gateway."""

    name = "steward.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"
