"""An index for the admin's list of accounts by last sign-in.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-10

The other orders of that list already have theirs: newest and oldest first
``ix_users_recent`` (0006), by username the unique index on ``username``. Accounts that
never signed in sit together under a null key, in id order, so that part of the list is a
seek too.
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_users_last_login", "users", ["last_login_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_users_last_login", table_name="users")
