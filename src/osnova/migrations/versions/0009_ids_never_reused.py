"""Data identity: ids are never reused, and every item has an external_id.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

Without AUTOINCREMENT, SQLite gives a new row the largest id in the table plus one, so the id
of the newest deleted item comes back, and its old URL shows someone else's new item. With it,
SQLite remembers the largest id ever given (``sqlite_sequence``). PostgreSQL sequences and
MariaDB's AUTO_INCREMENT (kept across restarts since 10.2) never go back: nothing to do there.

SQLite cannot add AUTOINCREMENT to a table, so each table with an id is rebuilt (Alembic's
batch mode: a copy with every row, index, UNIQUE and CHECK, then a rename). Foreign keys are
switched off meanwhile, outside the transaction as SQLite requires: dropping the old
``users`` with them on would delete every item through ``ON DELETE CASCADE``. Dropping
``items`` drops the full-text triggers of 0003, which are made again, and the index rebuilt.

``items.external_id`` was set only by imports, so exporting one's items and importing the
file back duplicated each of them. Every item now has one (new items get a random one; the
existing ones get it here), and the column becomes NOT NULL.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# Parents before children, so that each rebuilt child's foreign keys name a rebuilt parent.
TABLES = ("users", "items", "api_tokens", "remembered_devices", "audit_events", "import_jobs")
ITEM_SEARCH = import_module("osnova.migrations.versions.0003_item_search")
# 32 random hex digits, as ``models.new_external_id`` makes them.
RANDOM_KEY = {
    "sqlite": "lower(hex(randomblob(16)))",
    "postgresql": "replace(gen_random_uuid()::text, '-', '')",
    "mysql": "replace(uuid(), '-', '')",
    "mariadb": "replace(uuid(), '-', '')",
}
EXTERNAL_ID = sa.String(length=64)


@contextmanager
def _foreign_keys_off() -> Iterator[None]:
    """Foreign keys off for the block, and checked before they are on again."""
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
        broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"rows lost their parent while tables were rebuilt: {broken}")
    finally:
        with op.get_context().autocommit_block():
            op.execute("PRAGMA foreign_keys = ON")


def _rebuild(autoincrement: bool) -> None:
    """Every table with an id, made again with (or without) AUTOINCREMENT; ``items`` also
    gets its ``external_id`` NOT NULL (or nullable) in the same rebuild."""
    with _foreign_keys_off():
        for table in TABLES:
            with op.batch_alter_table(
                table, recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
            ) as batch:
                if table == "items":
                    batch.alter_column(
                        "external_id", existing_type=EXTERNAL_ID, nullable=not autoincrement
                    )
        for statement in ITEM_SEARCH.SQLITE_UP[1:]:  # the triggers, then a rebuilt index
            op.execute(statement)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    key = RANDOM_KEY[dialect]
    op.execute(f"UPDATE items SET external_id = {key} WHERE external_id IS NULL")  # noqa: S608
    if dialect == "sqlite":
        _rebuild(autoincrement=True)
    else:
        op.alter_column("items", "external_id", existing_type=EXTERNAL_ID, nullable=False)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False)
    else:
        op.alter_column("items", "external_id", existing_type=EXTERNAL_ID, nullable=True)
