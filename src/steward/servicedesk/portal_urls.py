"""The self-service portal, under /portal/."""

from django.urls import path

from steward.servicedesk.views import portal, portal_knowledge

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
    path("knowledge/", portal_knowledge.knowledge_home, name="knowledge"),
    path("knowledge/suggest/", portal_knowledge.knowledge_suggest, name="knowledge_suggest"),
    path("knowledge/<int:pk>/", portal_knowledge.knowledge_article, name="knowledge_article"),
    path(
        "knowledge/<int:pk>/feedback/",
        portal_knowledge.knowledge_feedback,
        name="knowledge_feedback",
    ),
    path(
        "knowledge/files/<int:pk>/",
        portal_knowledge.knowledge_attachment,
        name="knowledge_attachment",
    ),
]
