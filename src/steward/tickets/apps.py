from django.apps import AppConfig


class TicketsConfig(AppConfig):
    """The life every ticket shares."""

    name = "steward.tickets"
    label = "tickets"
    verbose_name = "Tickets"

    def ready(self) -> None:
        from steward.core import demo, workflow
        from steward.core.navigation import NavEntry, register
        from steward.tickets import demo as tickets_demo
        from steward.tickets import guards
        from steward.tickets.models import Ticket
        from steward.tickets.workflows import WORKFLOWS

        workflow.register(Ticket, WORKFLOWS)
        demo.register("tickets", tickets_demo.load)
        workflow.register_guard("tickets.children_resolved", guards.children_resolved)
        register(
            NavEntry(
                "Service desk",
                "My work",
                "tickets:queue",
                lambda user: bool(user.has_perm("tickets.view_ticket")),
                order=0,
            )
        )
        register(
            NavEntry(
                "Administration",
                "Priority matrix",
                "tickets:priority_matrix",
                lambda user: bool(user.has_perm("tickets.change_priorityrule")),
                order=11,
            )
        )
        register(
            NavEntry(
                "Service desk",
                "My tickets",
                "tickets:my_tickets",
                lambda user: bool(user.is_authenticated),
                order=1,
            )
        )
