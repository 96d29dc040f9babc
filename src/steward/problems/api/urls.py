from rest_framework.routers import BaseRouter

from steward.problems.api import views


def register(router: BaseRouter) -> None:
    router.register("problems", views.ProblemViewSet, basename="problem")
    router.register("problem-proposals", views.ProblemProposalViewSet, basename="problem-proposal")
