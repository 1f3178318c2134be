"""Users get a session version; items get an optional external id.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

``users.session_version`` lets the server invalidate every session of an account (logout,
password change). ``items.external_id`` is the conflict key for item imports.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("items") as batch:
        batch.add_column(sa.Column("external_id", sa.String(length=64), nullable=True))
        batch.create_unique_constraint(batch.f("uq_items_external_id"), ["external_id"])


def downgrade() -> None:
    with op.batch_alter_table("items") as batch:
        batch.drop_constraint(batch.f("uq_items_external_id"), type_="unique")
        batch.drop_column("external_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("session_version")
