"""A trigram index for the admin's search of accounts: a rare word is found without reading
every account.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02

The search asks whether the username, email or full name *contains* some text, which no
B-tree serves. A trigram index does: it lists the accounts holding each run of three
characters, so a text of three or more is looked up, not tested on each row
(``osnova.services.account_search``). SQLite: an FTS5 table with the ``trigram`` tokenizer
that mirrors ``users`` through triggers, like ``items_fts`` (0003). PostgreSQL: a GIN index of
``pg_trgm`` over the three fields joined by U+0001, the expression the search queries. The
extension ships with PostgreSQL and is trusted (13 and later): the database's owner may create
it. MariaDB has no trigram index; its search still reads each account.

Note for later migrations: a SQLite ``batch_alter_table`` on ``users`` recreates the table
and drops these triggers; such a migration must create them again.
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

SQLITE_UP = [
    """CREATE VIRTUAL TABLE users_search USING fts5(
        username, email, full_name, content='users', content_rowid='id',
        tokenize='trigram')""",
    """CREATE TRIGGER users_search_after_insert AFTER INSERT ON users BEGIN
        INSERT INTO users_search(rowid, username, email, full_name)
        VALUES (new.id, new.username, new.email, new.full_name);
    END""",
    """CREATE TRIGGER users_search_after_delete AFTER DELETE ON users BEGIN
        INSERT INTO users_search(users_search, rowid, username, email, full_name)
        VALUES ('delete', old.id, old.username, old.email, old.full_name);
    END""",
    """CREATE TRIGGER users_search_after_update
        AFTER UPDATE OF username, email, full_name ON users BEGIN
        INSERT INTO users_search(users_search, rowid, username, email, full_name)
        VALUES ('delete', old.id, old.username, old.email, old.full_name);
        INSERT INTO users_search(rowid, username, email, full_name)
        VALUES (new.id, new.username, new.email, new.full_name);
    END""",
    "INSERT INTO users_search(users_search) VALUES ('rebuild')",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS users_search_after_update",
    "DROP TRIGGER IF EXISTS users_search_after_delete",
    "DROP TRIGGER IF EXISTS users_search_after_insert",
    "DROP TABLE IF EXISTS users_search",
]
POSTGRESQL_UP = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    """CREATE INDEX ix_users_search_trigram ON users USING GIN (
        (username || chr(1) || email || chr(1) || lower(full_name)) gin_trgm_ops)""",
]
# The extension stays: other objects of the database may use it.
POSTGRESQL_DOWN = ["DROP INDEX IF EXISTS ix_users_search_trigram"]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRESQL_UP if up else POSTGRESQL_DOWN
    return []


def upgrade() -> None:
    for statement in _statements(up=True):
        op.execute(statement)


def downgrade() -> None:
    for statement in _statements(up=False):
        op.execute(statement)
