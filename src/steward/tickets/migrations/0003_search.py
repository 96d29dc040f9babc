"""Full-text search: tsvectors with GIN indexes on PostgreSQL, an FTS5 table on SQLite.

Each database gets only its own structures; the other's operations do nothing. Existing
tickets are indexed here (batched), through the same code the services use.
"""

from django.db import migrations

POSTGRES_CREATE = [
    "CREATE TABLE tickets_search ("
    # No foreign key: it would stop TRUNCATE of tickets; search joins through tickets anyway
    # and ``reindex`` overwrites an entry whose ticket id comes back.
    " ticket_id bigint PRIMARY KEY,"
    " search_public tsvector NOT NULL,"
    " search_all tsvector NOT NULL)",
    "CREATE INDEX tickets_search_public ON tickets_search USING gin (search_public)",
    "CREATE INDEX tickets_search_all ON tickets_search USING gin (search_all)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS tickets_search"]
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE tickets_search_fts USING fts5("
    "number, title, description, comments, notes, tokenize = 'unicode61')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS tickets_search_fts"]


def _run(schema_editor, statements):
    for sql in statements:
        schema_editor.execute(sql)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_CREATE)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_CREATE)
    else:
        return
    from steward.tickets.search import reindex_all

    reindex_all(
        tickets=apps.get_model("tickets", "Ticket"), comments=apps.get_model("tickets", "Comment")
    )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        _run(schema_editor, POSTGRES_DROP)
    elif vendor == "sqlite":
        _run(schema_editor, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_priority_matrix")]

    operations = [migrations.RunPython(create, drop)]
