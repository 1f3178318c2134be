"""Indexes for the admin console's lists: each filter and order is one index seek.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04

Items by title; accounts, tokens and import jobs newest first; the audit trail newest first,
alone or by action, actor or target. The audit trail's single-column indexes become the
first columns of the new ones (on MariaDB the actor's foreign key needs an index that starts
with its column, so the new one is made before the old one goes).

SQLite and PostgreSQL also get a partial index of the items that have an image, newest
first, so "with an image" stays a seek when images are rare. MariaDB has no partial indexes;
there that filter walks the newest-first index until a page is found. The partial index is
not in the models (``osnova.database.include_in_autogenerate`` leaves it out).
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

NEW_INDEXES = [
    ("ix_items_title", "items", ["title", "id"]),
    ("ix_users_recent", "users", ["created_at", "id"]),
    ("ix_api_tokens_recent", "api_tokens", ["created_at", "id"]),
    ("ix_import_jobs_recent", "import_jobs", ["created_at", "id"]),
    ("ix_audit_events_recent", "audit_events", ["at", "id"]),
    ("ix_audit_events_action_recent", "audit_events", ["action", "at", "id"]),
    ("ix_audit_events_actor_recent", "audit_events", ["actor_id", "at", "id"]),
    ("ix_audit_events_target_recent", "audit_events", ["target", "at", "id"]),
]
REPLACED_INDEXES = [
    ("ix_audit_events_at", "audit_events", ["at"]),
    ("ix_audit_events_action", "audit_events", ["action"]),
    ("ix_audit_events_actor_id", "audit_events", ["actor_id"]),
]


PARTIAL_DIALECTS = ("sqlite", "postgresql")
WITH_IMAGE_UP = (
    "CREATE INDEX ix_items_with_image_recent ON items (created_at, id) WHERE image IS NOT NULL"
)
WITH_IMAGE_DOWN = "DROP INDEX IF EXISTS ix_items_with_image_recent"


def upgrade() -> None:
    for name, table, columns in NEW_INDEXES:
        op.create_index(name, table, columns)
    for name, table, _columns in REPLACED_INDEXES:
        op.drop_index(name, table_name=table)
    if op.get_bind().dialect.name in PARTIAL_DIALECTS:
        op.execute(WITH_IMAGE_UP)


def downgrade() -> None:
    if op.get_bind().dialect.name in PARTIAL_DIALECTS:
        op.execute(WITH_IMAGE_DOWN)
    for name, table, columns in REPLACED_INDEXES:
        op.create_index(name, table, columns)
    for name, table, _columns in reversed(NEW_INDEXES):
        op.drop_index(name, table_name=table)
