from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from steward.core import conf, navigation


def navigation_menu(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    menu = navigation.menu_for(user, request.path) if user and user.is_authenticated else []
    return {"nav_groups": menu, "site_name": conf.get("SITE_NAME")}
