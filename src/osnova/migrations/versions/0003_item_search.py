"""Full-text search over item titles and descriptions, native to each database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24

SQLite: an FTS5 table that mirrors ``items`` through triggers, so every write path (ORM,
raw SQL, imports) keeps it in step. PostgreSQL: a generated ``tsvector`` column with a GIN
index. MariaDB: a FULLTEXT index. These objects are not in the models; autogenerate is told
to ignore them (``osnova.database.include_in_autogenerate``).

Note for later migrations: a SQLite ``batch_alter_table`` on ``items`` recreates the table
and drops its triggers; such a migration must create them again.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE items_fts USING fts5(
        title, description, content='items', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER items_fts_after_insert AFTER INSERT ON items BEGIN
        INSERT INTO items_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    """CREATE TRIGGER items_fts_after_delete AFTER DELETE ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    """CREATE TRIGGER items_fts_after_update AFTER UPDATE OF title, description ON items BEGIN
        INSERT INTO items_fts(items_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO items_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    "INSERT INTO items_fts(items_fts) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS items_fts_after_update",
    "DROP TRIGGER IF EXISTS items_fts_after_delete",
    "DROP TRIGGER IF EXISTS items_fts_after_insert",
    "DROP TABLE IF EXISTS items_fts",
]
POSTGRESQL_UP = [
    """ALTER TABLE items ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        to_tsvector('simple', title || ' ' || description)) STORED""",
    "CREATE INDEX ix_items_search_vector ON items USING GIN (search_vector)",
]
POSTGRESQL_DOWN = [
    "DROP INDEX IF EXISTS ix_items_search_vector",
    "ALTER TABLE items DROP COLUMN IF EXISTS search_vector",
]
MARIADB_UP = ["CREATE FULLTEXT INDEX ix_items_fulltext ON items (title, description)"]
MARIADB_DOWN = ["DROP INDEX ix_items_fulltext ON items"]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    if dialect in ("mysql", "mariadb"):
        return MARIADB_UP if up else MARIADB_DOWN
    return []


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
