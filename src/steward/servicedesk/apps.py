from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    """The service desk's ways in and out: the self-service portal and the e-mail gateway."""

    name = "steward.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from steward.core import audit
        from steward.core.navigation import NavEntry, register
        from steward.servicedesk.notify import (
            events,
            tasks,  # noqa: F401  (registers the schedule)
        )

        audit.listen(events.on_audit_entry)
        register(
            NavEntry(
                "Administration",
                "Notification templates",
                "notifications:template_list",
                lambda user: bool(user.has_perm("servicedesk.view_notificationtemplate")),
                order=40,
            )
        )
        register(
            NavEntry(
                "Administration",
                "Outbound mail",
                "notifications:outbound_list",
                lambda user: bool(user.has_perm("servicedesk.view_outboundemail")),
                order=41,
            )
        )
