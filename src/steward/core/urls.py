from django.urls import path

from steward.core import profile_views, views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("admin/process-profile/", profile_views.process_profile, name="process_profile"),
]
