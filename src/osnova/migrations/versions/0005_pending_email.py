"""Users get a pending email address and the time its change was asked for.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

A new address takes effect only once its owner follows the link mailed to it; until then it
waits in ``users.pending_email``. Both columns are nullable, so the old code keeps running
during a rolling update.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("pending_email", sa.String(length=254), nullable=True))
        batch.add_column(sa.Column("email_change_requested_at", Timestamp, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email_change_requested_at")
        batch.drop_column("pending_email")
