from django.urls import path

from steward.tickets.views import matrix, queue, ticket

app_name = "tickets"

urlpatterns = [
    path("", queue.queue, name="queue"),
    path("mine/", queue.my_tickets, name="my_tickets"),
    path("new/", ticket.ticket_create, name="ticket_create"),
    path("priority-matrix/", matrix.priority_matrix, name="priority_matrix"),
    path("attachments/<int:pk>/", ticket.attachment_download, name="attachment_download"),
    path("<str:number>/", ticket.ticket_detail, name="ticket_detail"),
    path("<str:number>/edit/", ticket.ticket_edit, name="ticket_edit"),
    path("<str:number>/to/<str:to>/", ticket.ticket_transition, name="ticket_transition"),
    path("<str:number>/comments/", ticket.comment_add, name="comment_add"),
    path("<str:number>/attachments/", ticket.attachment_add, name="attachment_add"),
    path("<str:number>/links/", ticket.link_add, name="link_add"),
    path("<str:number>/links/<int:pk>/remove/", ticket.link_remove, name="link_remove"),
    path("<str:number>/watch/", ticket.watch, name="watch"),
    path("<str:number>/time/", ticket.time_add, name="time_add"),
]
