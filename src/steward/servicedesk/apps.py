from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    """The service desk's ways in and out: the self-service portal and the e-mail gateway."""

    name = "steward.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from steward.core import demo
        from steward.core.navigation import NavEntry, register
        from steward.servicedesk import demo as servicedesk_demo
        from steward.servicedesk.satisfaction import REPORT_PERMISSION

        demo.register("servicedesk", servicedesk_demo.load)
        register(
            NavEntry(
                "Service desk",
                "Satisfaction",
                "servicedesk:satisfaction_report",
                lambda user: bool(user.has_perm(REPORT_PERMISSION)),
                order=20,
            )
        )
