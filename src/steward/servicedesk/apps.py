from django.apps import AppConfig


class ServiceDeskConfig(AppConfig):
    """The service desk's ways in and out: the self-service portal and the e-mail gateway."""

    name = "steward.servicedesk"
    label = "servicedesk"
    verbose_name = "Service desk"

    def ready(self) -> None:
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
