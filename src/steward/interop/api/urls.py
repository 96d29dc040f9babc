from django.urls import path

from steward.interop.api import views

#: Paths beside the router's (``config/api_urls.py`` mounts them).
urlpatterns = [
    path("exports/<str:log_format>/", views.EventLogExportView.as_view(), name="event-log-export"),
]
