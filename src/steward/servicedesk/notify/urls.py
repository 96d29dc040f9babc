from django.urls import path

from steward.servicedesk.notify import views

app_name = "notifications"

urlpatterns = [
    path("templates/", views.template_list, name="template_list"),
    path("templates/new/", views.template_create, name="template_create"),
    path("templates/<int:pk>/", views.template_edit, name="template_edit"),
    path("outbound/", views.outbound_list, name="outbound_list"),
    path("outbound/<int:pk>/", views.outbound_detail, name="outbound_detail"),
    path("outbound/<int:pk>/send-again/", views.outbound_send_again, name="outbound_send_again"),
]
