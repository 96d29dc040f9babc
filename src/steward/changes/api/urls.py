from django.urls import path
from rest_framework.routers import BaseRouter

from steward.changes.api import views


def register(router: BaseRouter) -> None:
    router.register("changes", views.ChangeViewSet, basename="change")
    router.register("change-approvals", views.ApprovalRequestViewSet, basename="changeapproval")
    router.register("change-tasks", views.ChangeTaskViewSet, basename="changetask")
    router.register("change-templates", views.ChangeTemplateViewSet, basename="changetemplate")
    router.register("change-risk-questions", views.RiskQuestionViewSet, basename="riskquestion")
    router.register("approval-boards", views.ApprovalBoardViewSet, basename="approvalboard")
    router.register("change-delegations", views.DelegationViewSet, basename="delegation")
    router.register("cab-meetings", views.CabMeetingViewSet, basename="cabmeeting")


urlpatterns = [
    path("change-figures/", views.ChangeFiguresView.as_view(), name="change-figures"),
]
