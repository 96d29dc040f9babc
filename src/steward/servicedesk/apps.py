from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _default_templates(sender: Any, **kwargs: Any) -> None:
    """A fresh installation has the shipped notification templates to send and to edit."""
    from steward.servicedesk.notify.services import ensure_default_templates

    ensure_default_templates()


class ServiceDeskConfig(AppConfig):
    """The service desk's ways in and out: the self-service portal and the e-mail gateway."""

    name = "steward.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from steward.core import audit, demo
        from steward.core.navigation import NavEntry, register
        from steward.servicedesk import demo as servicedesk_demo
        from steward.servicedesk.notify import (
            events,
            tasks,  # noqa: F401  (registers the schedule)
        )
        from steward.servicedesk.satisfaction import REPORT_PERMISSION

        audit.listen(events.on_audit_entry)
        post_migrate.connect(_default_templates, sender=self)
        demo.register("servicedesk", servicedesk_demo.load)
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
        register(
            NavEntry(
                "Service desk",
                "Satisfaction",
                "servicedesk:satisfaction_report",
                lambda user: bool(user.has_perm(REPORT_PERMISSION)),
                order=20,
            )
        )

        from steward.servicedesk import inbound_tasks  # noqa: F401  (registers the schedule)

        _register_inbound_navigation()


def _register_inbound_navigation() -> None:
    from steward.core.navigation import NavEntry, register

    register(
        NavEntry(
            "Service desk",
            "Mail quarantine",
            "servicedesk:inboundmessage_list",
            lambda user: bool(user.has_perm("servicedesk.view_inboundmessage")),
            order=80,
        )
    )
    register(
        NavEntry(
            "Administration",
            "Mailboxes",
            "servicedesk:mailbox_list",
            lambda user: bool(user.has_perm("servicedesk.change_mailbox")),
            order=60,
        )
    )
