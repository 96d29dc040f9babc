from django.urls import path

from steward.releases.views import dml, releases

app_name = "releases"

urlpatterns = [
    path("", releases.release_list, name="release_list"),
    path("new/", releases.release_create, name="release_create"),
    path("deployments/<int:pk>/", releases.deployment_detail, name="deployment_detail"),
    path("deployments/<int:pk>/move/", releases.deployment_move, name="deployment_move"),
    path("dml/", dml.artefact_list, name="artefact_list"),
    path("dml/new/", dml.artefact_create, name="artefact_create"),
    path("dml/verify/", dml.verify, name="verify"),
    path("dml/<int:pk>/", dml.artefact_detail, name="artefact_detail"),
    path("dml/<int:pk>/edit/", dml.artefact_edit, name="artefact_edit"),
    path("dml/<int:pk>/verify/", dml.artefact_verify, name="artefact_verify"),
    path("dml/<int:pk>/<str:to>/", dml.artefact_move, name="artefact_move"),
    path("<str:number>/edit/", releases.release_edit, name="release_edit"),
    path("<str:number>/changes/", releases.release_changes, name="release_changes"),
    path("<str:number>/artefacts/", releases.release_artefacts, name="release_artefacts"),
    path("<str:number>/deployments/new/", releases.deployment_create, name="deployment_create"),
]
