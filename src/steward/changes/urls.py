from django.urls import path

from steward.changes.views import admin, cab, changes

app_name = "changes"

urlpatterns = [
    path("", changes.change_list, name="change_list"),
    path("new/", changes.change_create, name="change_create"),
    path("new/standard/", changes.standard_create, name="standard_create"),
    path("templates/", admin.template_list, name="template_list"),
    path("templates/new/", admin.template_create, name="template_create"),
    path("templates/<int:pk>/", admin.template_detail, name="template_detail"),
    path("templates/<int:pk>/approve/", admin.template_approve, name="template_approve"),
    path("risk/", admin.question_list, name="question_list"),
    path("risk/new/", admin.question_edit, name="question_create"),
    path("risk/<int:pk>/", admin.question_edit, name="question_edit"),
    path("boards/", admin.board_list, name="board_list"),
    path("boards/new/", admin.board_edit, name="board_create"),
    path("boards/<int:pk>/", admin.board_edit, name="board_edit"),
    path("delegations/new/", admin.delegation_create, name="delegation_create"),
    path("delegations/<int:pk>/end/", admin.delegation_end, name="delegation_end"),
    path("cab/", cab.meeting_list, name="meeting_list"),
    path("cab/new/", cab.meeting_create, name="meeting_create"),
    path("cab/<int:pk>/", cab.meeting_detail, name="meeting_detail"),
    path("figures/", cab.report, name="report"),
    path("<str:number>/", changes.change_detail, name="change_detail"),
    path("<str:number>/edit/", changes.change_edit, name="change_edit"),
    path("<str:number>/risk/", changes.risk_assessment, name="risk"),
    path("<str:number>/review/", changes.review, name="review"),
    path("<str:number>/tasks/new/", changes.task_add, name="task_add"),
    path("<str:number>/tasks/<int:task_id>/", changes.task_update, name="task_update"),
    path("<str:number>/approvals/<int:request_id>/vote/", changes.vote, name="vote"),
]
