from django.urls import path

from steward.problems.views import problems, proposals

app_name = "problems"

urlpatterns = [
    path("", problems.problem_list, name="problem_list"),
    path("new/", problems.problem_create, name="problem_create"),
    path("known-errors/", problems.known_error_list, name="known_error_list"),
    path("proposals/", proposals.proposal_list, name="proposal_list"),
    path("proposals/detect/", proposals.proposal_detect, name="proposal_detect"),
    path("proposals/<int:pk>/", proposals.proposal_detail, name="proposal_detail"),
    path("proposals/<int:pk>/accept/", proposals.proposal_accept, name="proposal_accept"),
    path("proposals/<int:pk>/dismiss/", proposals.proposal_dismiss, name="proposal_dismiss"),
    path("known-errors/suggest/", problems.known_error_suggest, name="known_error_suggest"),
    path(
        "incident/<str:incident_number>/link/",
        problems.link_to_problem,
        name="link_to_problem",
    ),
    path("<str:number>/edit/", problems.problem_edit, name="problem_edit"),
    path("<str:number>/analysis/", problems.analysis, name="analysis"),
    path("<str:number>/fix/", problems.set_fix, name="set_fix"),
    path("<str:number>/incidents/", problems.link_incidents, name="link_incidents"),
    path(
        "<str:number>/incidents/<str:incident_number>/unlink/",
        problems.unlink_incident,
        name="unlink_incident",
    ),
    path(
        "<str:number>/incidents/<str:incident_number>/workaround/",
        problems.apply_workaround,
        name="apply_workaround",
    ),
    path("<str:number>/resolve-incidents/", problems.resolve_incidents, name="resolve_incidents"),
]
