"""The self-service portal, under /portal/."""

from django.urls import path

from steward.servicedesk.views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.home, name="home"),
    path("report/", portal.report, name="report"),
    path("tickets/<str:number>/", portal.ticket_detail, name="ticket"),
    path("tickets/<str:number>/reply/", portal.ticket_reply, name="ticket_reply"),
    path("tickets/<str:number>/confirm/", portal.ticket_confirm, name="ticket_confirm"),
    path("tickets/<str:number>/reject/", portal.ticket_reject, name="ticket_reject"),
    path("tickets/<str:number>/rate/", portal.ticket_rate, name="ticket_rate"),
    path("attachments/<int:pk>/", portal.attachment_download, name="attachment_download"),
    path("rate/<str:token>/<int:score>/", portal.rate_link, name="rate_link"),
]
