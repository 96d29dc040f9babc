"""Managers get ``governance.view_kpis``: the service KPIs, variants and event-log exports.

``accounts.roles`` says the same for new installations (``sync_roles`` runs after every
migrate); this gives the right to the roles of an existing one at once.
"""

from typing import Any

from django.db import migrations

MANAGER_ROLES = (
    "incident_manager",
    "problem_manager",
    "knowledge_manager",
    "change_manager",
    "configuration_manager",
    "service_level_manager",
    "release_manager",
    "catalog_manager",
    "service_owner",
    "auditor",
    "administrator",
)


def grant(apps: Any, schema_editor: Any) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Role = apps.get_model("accounts", "Role")
    content_type, _ = ContentType.objects.get_or_create(app_label="governance", model="report")
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type,
        codename="view_kpis",
        defaults={"name": "Can see service KPIs, lifecycle variants and event-log exports"},
    )
    for role in Role.objects.filter(code__in=MANAGER_ROLES):
        role.permissions.add(permission)


def revoke(apps: Any, schema_editor: Any) -> None:
    Permission = apps.get_model("auth", "Permission")
    Permission.objects.filter(content_type__app_label="governance", codename="view_kpis").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_changes_rights"),
        ("governance", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
