"""The catalogue's tables: User, Item, ApiToken, RememberedDevice, AuditEvent, ImportJob and
RateLimitCounter.

Usernames and emails are stored lower-cased and the database refuses anything else, so a
plain UNIQUE index makes them unique case-insensitively on SQLite, PostgreSQL and MariaDB
alike. Length and role rules are CHECK constraints: the database stays consistent even when
a bulk loader or a console session bypasses the services.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import uuid4

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from osnova.database import (
    ID_TABLE_OPTIONS,
    MYSQL_TABLE_OPTIONS,
    Base,
    UTCDateTime,
    char_length_sql,
    dialect_checks,
    is_lowercase_sql,
    matches_charset_sql,
    utcnow,
)

USERNAME_MIN, USERNAME_MAX = 3, 32
USERNAME_CHARSET = "a-z0-9_.-"
EMAIL_MAX = 254
FULL_NAME_MAX = 100
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000
TOKEN_NAME_MAX = 100
EXTERNAL_ID_MAX = 64
SECRET_HASH_LENGTH = 64
USER_AGENT_MAX = 200


def new_external_id() -> str:
    """A fresh item key: 32 random hex digits (a version 4 UUID)."""
    return uuid4().hex


class Role(StrEnum):
    USER = "user"
    MODERATOR = "moderator"
    ADMIN = "admin"


ROLE_VALUES = ", ".join(f"'{role.value}'" for role in Role)


def _between(dialect: str, column: str, low: int, high: int) -> str:
    return f"{char_length_sql(dialect, column)} BETWEEN {low} AND {high}"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        *dialect_checks(
            "username_format",
            lambda d: (
                f"{_between(d, 'username', USERNAME_MIN, USERNAME_MAX)} AND "
                f"{matches_charset_sql(d, 'username', USERNAME_CHARSET)}"
            ),
        ),
        *dialect_checks(
            "email_format",
            lambda d: f"{_between(d, 'email', 3, EMAIL_MAX)} AND {is_lowercase_sql(d, 'email')}",
        ),
        *dialect_checks("full_name_length", lambda d: _between(d, "full_name", 0, FULL_NAME_MAX)),
        CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),
        Index("ix_users_recent", "created_at", "id"),
        Index("ix_users_last_login", "last_login_at", "id"),
        ID_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(USERNAME_MAX), unique=True)
    email: Mapped[str] = mapped_column(String(EMAIL_MAX), unique=True)
    full_name: Mapped[str] = mapped_column(String(FULL_NAME_MAX), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default=Role.USER.value)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Bumped on logout, password change and deactivation: sessions carrying an older version
    # stop working (remembered devices are forgotten at the same moments).
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # A new address waits here until its owner follows the link mailed to it.
    pending_email: Mapped[str | None] = mapped_column(String(EMAIL_MAX))
    email_change_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    items: Mapped[list[Item]] = relationship(
        back_populates="owner", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} {self.role}>"

    @property
    def display_name(self) -> str:
        return self.full_name or self.username

    # The members Flask-Login expects of a signed-in user (is_active is a column).
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        """The id kept in the session: a version bump on the server invalidates it."""
        return f"{self.id}.{self.session_version}"


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        *dialect_checks("title_length", lambda d: _between(d, "title", 1, TITLE_MAX)),
        *dialect_checks(
            "description_length", lambda d: _between(d, "description", 0, DESCRIPTION_MAX)
        ),
        Index("ix_items_recent", "created_at", "id"),
        Index("ix_items_public_recent", "is_public", "created_at", "id"),
        Index("ix_items_owner_recent", "owner_id", "created_at", "id"),
        Index("ix_items_title", "title", "id"),
        ID_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(TITLE_MAX))
    description: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    image: Mapped[str | None] = mapped_column(String(255))
    # The item's key across systems: given by an imported file, else made at creation, and
    # written by every export, so that importing an export again matches the same items.
    external_id: Mapped[str] = mapped_column(
        String(EXTERNAL_ID_MAX), unique=True, default=new_external_id
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    owner: Mapped[User] = relationship(back_populates="items")

    def __repr__(self) -> str:
        return f"<Item {self.id} {self.title!r}>"


class ApiToken(Base):
    """A bearer token; only the sha256 of its secret is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (
        *dialect_checks("name_length", lambda d: _between(d, "name", 1, TOKEN_NAME_MAX)),
        Index("ix_api_tokens_recent", "created_at", "id"),
        ID_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(TOKEN_NAME_MAX))
    token_hash: Mapped[str] = mapped_column(String(EXTERNAL_ID_MAX), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class RememberedDevice(Base):
    """A browser kept signed in by "keep me signed in"; only the sha256 of its cookie is kept.

    The row is what lets the account page list the device and end it; the cookie alone
    proves nothing once the row is gone.
    """

    __tablename__ = "remembered_devices"
    __table_args__ = (ID_TABLE_OPTIONS,)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(SECRET_HASH_LENGTH), unique=True)
    user_agent: Mapped[str] = mapped_column(String(USER_AGENT_MAX), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_used_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class AuditEvent(Base):
    """Who did what to what, from where. Kept when the actor's account is deleted."""

    __tablename__ = "audit_events"
    # Each filter of the audit trail seeks one index and reads it newest first.
    __table_args__ = (
        Index("ix_audit_events_recent", "at", "id"),
        Index("ix_audit_events_action_recent", "action", "at", "id"),
        Index("ix_audit_events_actor_recent", "actor_id", "at", "id"),
        Index("ix_audit_events_target_recent", "target", "at", "id"),
        ID_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(255))
    remote_addr: Mapped[str | None] = mapped_column(String(45))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


JOB_STATUS_VALUES = ", ".join(f"'{status.value}'" for status in JobStatus)


class ImportJob(Base):
    """An import too big for a request, run by the job consumer from a spooled copy of the file.

    Its status moves queued → running → done or failed; "done" is written in the import's own
    transaction, so a job whose consumer died is either done with every row or not done at all.
    """

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint(f"status IN ({JOB_STATUS_VALUES})", name="status_known"),
        Index("ix_import_jobs_recent", "created_at", "id"),
        ID_TABLE_OPTIONS,
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    format: Mapped[str] = mapped_column(String(8))
    on_conflict: Mapped[str] = mapped_column(String(8))
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value, index=True)
    # The spooled upload's file name in the instance folder; None once it is removed.
    spool_name: Mapped[str | None] = mapped_column(String(64))
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    report: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RateLimitCounter(Base):
    """One fixed-window count of a rate limit (sign-in attempts, requests per address).

    Where the counts live when there is no Redis, so that every worker and host sees them. The
    key is the sha256 of the limit's key: no address or typed login is stored in clear, and
    the primary key has one size and no collation on every database.
    """

    __tablename__ = "rate_limit_counters"
    __table_args__ = (MYSQL_TABLE_OPTIONS,)

    key_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
