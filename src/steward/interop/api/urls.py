from rest_framework.routers import BaseRouter

from steward.interop.api import views


def register(router: BaseRouter) -> None:
    router.register("import-runs", views.ImportRunViewSet, basename="import-run")
