"""Initial schema: users, items, API tokens and audit events.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

CHECK constraints are spelled per dialect: SQLite counts characters with length() and
matches with GLOB, PostgreSQL uses char_length() and ~, MariaDB char_length() and REGEXP.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
Timestamp = sa.DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


def _dialect() -> str:
    return op.get_bind().dialect.name


def _chars(column: str) -> str:
    return f"length({column})" if _dialect() == "sqlite" else f"char_length({column})"


def _between(column: str, low: int, high: int) -> str:
    return f"{_chars(column)} BETWEEN {low} AND {high}"


def _only(column: str, charset: str) -> str:
    dialect = _dialect()
    if dialect == "sqlite":
        return f"{column} NOT GLOB '*[^{charset}]*'"
    if dialect == "postgresql":
        return f"{column} ~ '^[{charset}]*$'"
    return f"{column} REGEXP '(?-i)^[{charset}]*$'"


def _lowercase(column: str) -> str:
    if _dialect() == "postgresql" or _dialect() == "sqlite":
        return f"{column} = lower({column})"
    return f"CAST({column} AS BINARY) = CAST(lower({column}) AS BINARY)"


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("full_name", sa.String(length=100), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("email_verified_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_login_at", Timestamp, nullable=True),
        sa.CheckConstraint(
            f"{_between('username', 3, 32)} AND {_only('username', 'a-z0-9_.-')}",
            name=op.f("ck_users_username_format"),
        ),
        sa.CheckConstraint(
            f"{_between('email', 3, 254)} AND {_lowercase('email')}",
            name=op.f("ck_users_email_format"),
        ),
        sa.CheckConstraint(_between("full_name", 0, 100), name=op.f("ck_users_full_name_length")),
        sa.CheckConstraint(
            "role IN ('user', 'moderator', 'admin')", name=op.f("ck_users_role_known")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
        **TABLE_OPTIONS,
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_used_at", Timestamp, nullable=True),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.CheckConstraint(_between("name", 1, 100), name=op.f("ck_api_tokens_name_length")),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_api_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_api_tokens_user_id"), "api_tokens", ["user_id"])

    op.create_table(
        "audit_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=True),
        sa.Column("remote_addr", sa.String(length=45), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["users.id"],
            name=op.f("fk_audit_events_actor_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
        **TABLE_OPTIONS,
    )
    op.create_index(op.f("ix_audit_events_action"), "audit_events", ["action"])
    op.create_index(op.f("ix_audit_events_actor_id"), "audit_events", ["actor_id"])
    op.create_index(op.f("ix_audit_events_at"), "audit_events", ["at"])

    op.create_table(
        "items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("image", sa.String(length=255), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.CheckConstraint(_between("title", 1, 200), name=op.f("ck_items_title_length")),
        sa.CheckConstraint(
            _between("description", 0, 10_000), name=op.f("ck_items_description_length")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_items_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_items")),
        **TABLE_OPTIONS,
    )
    op.create_index("ix_items_owner_recent", "items", ["owner_id", "created_at", "id"])
    op.create_index("ix_items_public_recent", "items", ["is_public", "created_at", "id"])
    op.create_index("ix_items_recent", "items", ["created_at", "id"])


def downgrade() -> None:
    op.drop_table("items")
    op.drop_table("audit_events")
    op.drop_table("api_tokens")
    op.drop_table("users")
