from rest_framework.routers import BaseRouter

from steward.releases.api import views


def register(router: BaseRouter) -> None:
    router.register("releases", views.ReleaseViewSet, basename="release")
    router.register("dml-artefacts", views.DmlArtefactViewSet, basename="dmlartefact")
    router.register("dml-verifications", views.DmlVerificationViewSet, basename="dmlverification")
    router.register("deployments", views.DeploymentViewSet, basename="deployment")
