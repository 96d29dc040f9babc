from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    """People, organisations, teams, roles and API tokens."""

    name = "steward.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from steward.accounts import roles

        # Role grants are data in roles.py; keep the Role rows and their permissions in step
        # with it after every migrate (new apps bring new permissions).
        post_migrate.connect(roles.sync_after_migrate, dispatch_uid="steward.accounts.roles")
