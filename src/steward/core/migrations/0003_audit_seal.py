import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

from steward.core import append_only


def forwards(apps, schema_editor):
    append_only.create(schema_editor.connection, "core_auditseal")


def backwards(apps, schema_editor):
    append_only.drop(schema_editor.connection, "core_auditseal")


class Migration(migrations.Migration):
    dependencies = [("core", "0002_audit_append_only")]

    operations = [
        migrations.CreateModel(
            name="AuditSeal",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("seq", models.BigIntegerField(unique=True)),
                ("prev_hash", models.CharField(max_length=64)),
                ("hash", models.CharField(max_length=64)),
                ("sealed_at", models.DateTimeField(default=django.utils.timezone.now)),
                (
                    "entry",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="seal",
                        to="core.auditentry",
                    ),
                ),
            ],
            options={"ordering": ["seq"]},
        ),
        migrations.RunPython(forwards, backwards),
    ]
