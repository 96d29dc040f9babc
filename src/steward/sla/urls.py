from django.urls import path

from steward.sla import views

app_name = "sla"

urlpatterns = [
    path("", views.agreement_list, name="agreement_list"),
    path("new/", views.agreement_create, name="agreement_create"),
    path("<int:pk>/", views.agreement_detail, name="agreement_detail"),
    path("<int:pk>/edit/", views.agreement_edit, name="agreement_edit"),
    path("<int:pk>/targets/new/", views.target_create, name="target_create"),
    path("targets/<int:pk>/edit/", views.target_edit, name="target_edit"),
    path("compliance/", views.compliance_report, name="compliance_report"),
    path("calendars/", views.calendar_list, name="calendar_list"),
    path("calendars/new/", views.calendar_create, name="calendar_create"),
    path("calendars/<int:pk>/edit/", views.calendar_edit, name="calendar_edit"),
]
