"""The change manager role for change management; its rights (and the agents' new right to
raise changes) are set from ``accounts/roles.py`` by ``sync_roles`` after migrate."""

from django.db import migrations


def add_change_manager(apps, schema_editor):
    Role = apps.get_model("accounts", "Role")
    Role.objects.get_or_create(
        code="change_manager",
        defaults={
            "name": "Change manager",
            "description": "Owns change management: assessment, CAB, the change schedule.",
            "is_staff_role": True,
        },
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_knowledge_manager_role"),
    ]

    operations = [migrations.RunPython(add_change_manager, migrations.RunPython.noop)]
