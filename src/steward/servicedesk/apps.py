from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _default_templates(sender: Any, **kwargs: Any) -> None:
    """A fresh installation has the shipped notification templates to send and to edit."""
    from steward.servicedesk.notify.services import ensure_default_templates

    ensure_default_templates()


#: (group, label, URL name, the permission that shows it, order) of the service desk's pages.
NAVIGATION = (
    (
        "Service desk",
        "Satisfaction",
        "servicedesk:satisfaction_report",
        "servicedesk.view_satisfaction_report",
        20,
    ),
    (
        "Service desk",
        "Mail quarantine",
        "servicedesk:inboundmessage_list",
        "servicedesk.view_inboundmessage",
        80,
    ),
    (
        "Administration",
        "Notification templates",
        "notifications:template_list",
        "servicedesk.view_notificationtemplate",
        40,
    ),
    (
        "Administration",
        "Outbound mail",
        "notifications:outbound_list",
        "servicedesk.view_outboundemail",
        41,
    ),
    ("Administration", "Mailboxes", "servicedesk:mailbox_list", "servicedesk.change_mailbox", 60),
)


class ServiceDeskConfig(AppConfig):
    """The service desk's ways in and out: the self-service portal and the e-mail gateway."""

    name = "steward.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
        from steward.core import audit, demo, navigation
        from steward.servicedesk import demo as servicedesk_demo
        from steward.servicedesk.notify import (
            events,
            tasks,  # noqa: F401  (registers the schedule)
        )

        audit.listen(events.on_audit_entry)
        from steward.servicedesk.notify import sla as sla_notify
        from steward.sla import actions as sla_actions

        sla_actions.register(
            "notify", "Notify assignee, team lead and service owner", sla_notify.notify
        )
        post_migrate.connect(_default_templates, sender=self)
        demo.register("servicedesk", servicedesk_demo.load)
        for group, label, url_name, permission, order in NAVIGATION:
            navigation.register_for_permission(group, label, url_name, permission, order=order)

        from steward.servicedesk import inbound_tasks  # noqa: F401  (registers the schedule)
