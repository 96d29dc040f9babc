"""Full-text search of articles: a tsvector with a GIN index on PostgreSQL, FTS5 on SQLite.

State and audience sit beside the words so a search filters what a person may read before
it ranks. Each database gets only its own structures.
"""

from django.db import migrations

POSTGRES_CREATE = [
    "CREATE TABLE knowledge_search ("
    " article_id bigint PRIMARY KEY,"
    " document tsvector NOT NULL,"
    " state varchar(20) NOT NULL,"
    " audience varchar(10) NOT NULL)",
    "CREATE INDEX knowledge_search_document ON knowledge_search USING gin (document)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS knowledge_search"]
SQLITE_CREATE = [
    "CREATE VIRTUAL TABLE knowledge_search_fts USING fts5("
    "title, body, state UNINDEXED, audience UNINDEXED, tokenize = 'unicode61')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS knowledge_search_fts"]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": POSTGRES_CREATE, "sqlite": SQLITE_CREATE}.get(vendor)
    if statements is None:
        return
    for sql in statements:
        schema_editor.execute(sql)
    from steward.knowledge.search import reindex_all

    reindex_all(articles=apps.get_model("knowledge", "Article"))


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"postgresql": POSTGRES_DROP, "sqlite": SQLITE_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
