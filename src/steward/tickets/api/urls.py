from rest_framework.routers import BaseRouter

from steward.tickets.api import views


def register(router: BaseRouter) -> None:
    router.register("tickets", views.TicketViewSet, basename="ticket")
    router.register("ticket-comments", views.CommentViewSet, basename="ticket-comment")
    router.register("ticket-attachments", views.AttachmentViewSet, basename="ticket-attachment")
    router.register("ticket-links", views.TicketLinkViewSet, basename="ticket-link")
    router.register("ticket-watchers", views.WatcherViewSet, basename="ticket-watcher")
    router.register("time-entries", views.TimeEntryViewSet, basename="time-entry")
    router.register("priority-rules", views.PriorityRuleViewSet, basename="priority-rule")
