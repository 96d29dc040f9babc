from rest_framework.routers import BaseRouter

from steward.accounts.api import views


def register(router: BaseRouter) -> None:
    router.register("organisations", views.OrganisationViewSet, basename="organisation")
    router.register("people", views.PersonViewSet, basename="person")
    router.register("teams", views.TeamViewSet, basename="team")
    router.register("roles", views.RoleViewSet, basename="role")
    router.register("api-tokens", views.ApiTokenViewSet, basename="api-token")
