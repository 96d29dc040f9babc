"""The change schedule's pages, mounted at /changes/schedule/."""

from django.urls import path

from steward.changes.schedule import views

app_name = "change_schedule"

urlpatterns = [
    path("", views.calendar_view, name="calendar"),
    path("feed/", views.calendar_feed_settings, name="feed_settings"),
    path("feed/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("windows/", views.window_list, name="window_list"),
    path("windows/new/", views.window_create, name="window_create"),
    path("windows/<int:pk>/", views.window_edit, name="window_edit"),
    path("windows/<int:pk>/delete/", views.window_delete, name="window_delete"),
    path("blackouts/", views.blackout_list, name="blackout_list"),
    path("blackouts/new/", views.blackout_create, name="blackout_create"),
    path("blackouts/<int:pk>/", views.blackout_edit, name="blackout_edit"),
    path("blackouts/<int:pk>/delete/", views.blackout_delete, name="blackout_delete"),
    path("policy/", views.policy_edit, name="policy"),
    path("conflicts/<str:number>/", views.change_conflicts, name="change_conflicts"),
]
