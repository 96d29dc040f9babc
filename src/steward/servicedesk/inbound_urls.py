"""Pages of e-mail in: the quarantine review and mailbox administration."""

from django.urls import path

from steward.servicedesk.views import inbound as views

urlpatterns = [
    path("mail/quarantine/", views.message_list, name="inboundmessage_list"),
    path("mail/messages/<int:pk>/", views.message_detail, name="inboundmessage_detail"),
    path("mail/messages/<int:pk>/release/", views.message_release, name="inboundmessage_release"),
    path("mail/messages/<int:pk>/discard/", views.message_discard, name="inboundmessage_discard"),
    path("mail/messages/<int:pk>/raw/", views.message_raw, name="inboundmessage_raw"),
    path("mail/mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("mail/mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("mail/mailboxes/<int:pk>/", views.mailbox_detail, name="mailbox_detail"),
    path("mail/mailboxes/<int:pk>/edit/", views.mailbox_edit, name="mailbox_edit"),
    path("mail/mailboxes/<int:pk>/test/", views.mailbox_test, name="mailbox_test"),
]
