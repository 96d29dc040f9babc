from django.urls import path

from steward.incidents.views import incidents, interactions, major

app_name = "incidents"

urlpatterns = [
    path("", incidents.incident_list, name="incident_list"),
    path("major/", incidents.major_list, name="major_list"),
    path("new/", incidents.incident_create, name="incident_create"),
    path("new/subcategories/", incidents.subcategory_options, name="subcategory_options"),
    path("new/priority/", incidents.priority_preview, name="priority_preview"),
    path("first-contact-resolution/", interactions.fcr_report, name="fcr_report"),
    path("<str:number>/reassign/", incidents.reassign, name="reassign"),
    path("<str:number>/escalate/", incidents.escalate, name="escalate"),
    path("<str:number>/declare/", major.declare, name="declare_major"),
    path("<str:number>/stand-down/", major.stand_down, name="stand_down_major"),
    path("<str:number>/updates/", major.post_update, name="post_update"),
    path("<str:number>/children/", major.attach_children, name="attach_children"),
    path("<str:number>/review/", major.review_save, name="review_save"),
    path("<str:number>/review/to/<str:to>/", major.review_move, name="review_move"),
    path("<str:number>/review/actions/", major.review_action_add, name="review_action_add"),
    path(
        "<str:number>/review/actions/<int:pk>/done/",
        major.review_action_done,
        name="review_action_done",
    ),
]

#: Mounted at ``/interactions/`` (namespace ``interactions``).
interaction_patterns = (
    [
        path("", interactions.interaction_list, name="interaction_list"),
        path("<str:number>/", interactions.interaction_detail, name="interaction_detail"),
        path(
            "<str:number>/<str:outcome>/",
            interactions.interaction_end,
            name="interaction_end",
        ),
    ],
    "interactions",
)
