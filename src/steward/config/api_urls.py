"""The REST API, version 1: one router, each app registering its viewsets."""

from rest_framework.routers import DefaultRouter

from steward.accounts.api.urls import register as register_accounts
from steward.config import openapi  # noqa: F401  (registers the schema extensions)

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
register_accounts(router)

urlpatterns = router.urls
