"""SQLite: FTS5's own word statistics (how many articles hold each word), so suggestions
learn which typed words are telling from the index instead of counting matches."""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE VIRTUAL TABLE knowledge_search_vocab "
            "USING fts5vocab('knowledge_search_fts', 'row')"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS knowledge_search_vocab")


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_search")]

    operations = [migrations.RunPython(create, drop)]
