from collections.abc import Callable
from typing import Any

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
        _register_navigation()


def _register_navigation() -> None:
    from steward.core.navigation import NavEntry, register

    def may(perm: str) -> Callable[[Any], bool]:
        return lambda user: bool(user.has_perm(perm))

    for order, (label, url_name, perm) in enumerate(
        [
            ("People", "accounts:person_list", "accounts.view_person"),
            ("Organisations", "accounts:organisation_list", "accounts.view_organisation"),
            ("Teams", "accounts:team_list", "accounts.view_team"),
            ("Roles", "accounts:role_list", "accounts.view_role"),
        ]
    ):
        register(NavEntry("Administration", label, url_name, may(perm), order=order))
