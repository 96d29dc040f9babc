from django.db import migrations

from steward.core import append_only


def forwards(apps, schema_editor):
    append_only.create(schema_editor.connection, "core_auditentry")


def backwards(apps, schema_editor):
    append_only.drop(schema_editor.connection, "core_auditentry")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
