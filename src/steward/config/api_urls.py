"""The REST API, version 1: one router, each app registering its viewsets."""

from rest_framework.routers import DefaultRouter

from steward.accounts.api.urls import register as register_accounts

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
register_accounts(router)

urlpatterns = router.urls
