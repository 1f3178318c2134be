"""Database plumbing shared by every backend: the declarative base, portable column types,
per-dialect check constraints and connection settings.

SQLite, PostgreSQL and MariaDB differ in how they spell character counts, patterns and
time precision; this module hides those differences so ``models.py`` reads as the domain.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import CheckConstraint, DateTime, Engine, MetaData, event
from sqlalchemy.engine import Connection, Dialect, ExceptionContext, make_url
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, SessionTransaction
from sqlalchemy.types import TypeDecorator, TypeEngine

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

MYSQL_TABLE_OPTIONS = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_unicode_ci"}
# A table whose ids people see (in URLs, audit targets, the API): SQLite's AUTOINCREMENT so
# that an id is never given out again once its row is deleted (migration 0009). PostgreSQL
# sequences and MariaDB's AUTO_INCREMENT never reuse one anyway.
ID_TABLE_OPTIONS = {**MYSQL_TABLE_OPTIONS, "sqlite_autoincrement": True}
SQLITE_BUSY_TIMEOUT_MS = 5_000
# A database server on the same network accepts a connection in milliseconds, and acknowledges
# what it is sent as fast: past these limits the network or the server is gone. Without them a
# request waits for the kernel's own limits (minutes) when a link to the server is cut; with
# them it fails in seconds, and nginx passes a GET on to another app host.
CONNECT_TIMEOUT_SECONDS = 3
UNACKNOWLEDGED_TIMEOUT_MS = 5_000
# MariaDB's client errors for "cannot connect", "server has gone away", "lost connection".
MARIADB_CONNECTION_ERRORS = frozenset({2003, 2006, 2013})


class Base(DeclarativeBase):
    """Declarative base with a naming convention, so constraint names match on every database."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite and MariaDB have no time zone type; storing UTC everywhere keeps ordering and
    cursor comparisons identical across backends. MariaDB gets microsecond precision.
    """

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name in ("mysql", "mariadb"):
            from sqlalchemy.dialects import mysql  # noqa: PLC0415 - only on MariaDB

            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        # SQLite hands back text ("2026-12-03 16:03:55.123456"): parsed and made aware in one
        # call instead of three (a list of 20 reads 42 timestamps).
        if dialect.name == "sqlite":
            return _aware_from_sqlite_text
        return super().result_processor(dialect, coltype)


def _aware_from_sqlite_text(value: str | None) -> datetime | None:
    """Naive UTC text, as this type writes it, read with its offset appended: one call, a
    sixth of ``fromisoformat(value).replace(tzinfo=UTC)`` (``replace`` alone is 0.8 µs, and
    a page of 20 items reads 42 timestamps)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value + "+00:00")
        if parsed.tzinfo is not None:
            return parsed
    except ValueError:  # text that carries its own offset (written by another tool)
        pass
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def char_length_sql(dialect_name: str, column: str) -> str:
    """SQL counting characters (not bytes) of a column on the given dialect."""
    return f"length({column})" if dialect_name == "sqlite" else f"char_length({column})"


def matches_charset_sql(dialect_name: str, column: str, charset: str) -> str:
    """SQL true when every character of ``column`` is in the bracket expression ``charset``.

    ``charset`` is the inside of a regex bracket such as ``a-z0-9_.-``.
    """
    if dialect_name == "sqlite":
        return f"{column} NOT GLOB '*[^{charset}]*'"
    if dialect_name == "postgresql":
        return f"{column} ~ '^[{charset}]*$'"
    # MariaDB's REGEXP follows the column collation; (?-i) makes it case-sensitive.
    return f"{column} REGEXP '(?-i)^[{charset}]*$'"


def is_lowercase_sql(dialect_name: str, column: str) -> str:
    if dialect_name in ("mysql", "mariadb"):
        return f"CAST({column} AS BINARY) = CAST(lower({column}) AS BINARY)"
    return f"{column} = lower({column})"


def dialect_checks(name: str, build: Any) -> list[CheckConstraint]:
    """One CHECK constraint per dialect, each emitted only on its own database.

    ``build(dialect_name)`` returns the SQL text for that dialect.
    """
    return [
        CheckConstraint(build(dialect), name=name).ddl_if(dialect=dialect)
        for dialect in ("sqlite", "postgresql", "mysql")
    ]


def engine_options(url: str) -> dict[str, Any]:
    """Engine keyword arguments suited to the backend named in ``url``."""
    backend = make_url(url).get_backend_name()
    # A failed statement's error names its SQL but not its values (a username, an email, a
    # token hash): errors reach logs and Sentry.
    options: dict[str, Any] = {"hide_parameters": True}
    if backend == "sqlite":
        # No pre-ping: a file cannot go away between two requests, and the ping would cost
        # a statement per request.
        options["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        return options
    # A server may restart: a pooled connection is tested before a request uses it.
    options["pool_pre_ping"] = True
    if backend == "postgresql":
        # tcp_user_timeout bounds a statement sent into a cut link; a slow query, which has
        # been acknowledged, is not affected.
        options["connect_args"] = {
            "connect_timeout": CONNECT_TIMEOUT_SECONDS,
            "tcp_user_timeout": UNACKNOWLEDGED_TIMEOUT_MS,
        }
    if backend in ("mysql", "mariadb"):
        options["connect_args"] = {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        options["pool_recycle"] = 3600
        # As on PostgreSQL: each statement sees what is committed (InnoDB defaults to a
        # transaction-long snapshot, which makes a long request read stale rows).
        options["isolation_level"] = "READ COMMITTED"
    return options


def normalise_url(url: str) -> str:
    """Add the options each driver needs: utf8mb4 for MariaDB/MySQL."""
    parsed = make_url(url)
    if parsed.get_backend_name() in ("mysql", "mariadb") and "charset" not in parsed.query:
        parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        return parsed.render_as_string(hide_password=False)
    return url


def configure_engine(engine: Engine) -> None:
    """Turn on foreign keys, WAL and a busy timeout on every new SQLite connection; on
    PostgreSQL, note which transactions wrote (see ``end_read_only_transaction``)."""
    if engine.dialect.name == "postgresql":
        _note_writes(engine)
        return
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()


# Set on a PostgreSQL connection's info when its transaction begins, true once it runs a
# statement that is not a SELECT, or one that fails.
_WROTE = "osnova.wrote"
# The connection of a session's current transaction, in ``Session.info``.
_CONNECTION = "osnova.connection"


def _note_writes(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _began(connection: Connection) -> None:
        connection.info[_WROTE] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _statement(connection: Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith(("SELECT", "select")):
            connection.info[_WROTE] = True

    @event.listens_for(engine, "handle_error")
    def _failed(context: ExceptionContext) -> None:
        if context.connection is not None:
            context.connection.info[_WROTE] = True


def remember_connection(
    session: Session, _transaction: SessionTransaction, connection: Connection
) -> None:
    """``after_begin`` of the app's sessions: keep the connection the transaction reads on."""
    session.info[_CONNECTION] = connection


def end_read_only_transaction(session: Session) -> None:
    """On PostgreSQL, end ``session``'s database transaction with COMMIT if it only read;
    the session itself then closes as always (rolled back, its rollback hooks run).

    To the database, COMMIT and ROLLBACK of a transaction that changed nothing are the same.
    To psycopg they are not: a ROLLBACK makes it forget the statements it had prepared on that
    connection (what they name may have been rolled back). With every request's session
    closed, so rolled back, no statement was ever prepared, and PostgreSQL parsed and planned
    each one on every request: a token's lookup and the list's join took longer to plan than
    to run. The COMMIT goes to the driver's connection, not through the session: nothing the
    session holds unflushed is written, and no ``after_commit`` hook runs for a change that
    never reached the database. The session's own rollback afterwards finds the driver
    outside a transaction, which psycopg answers without a round trip.

    When the server dropped the connection after the request's last statement (a restart, a
    network cut), the COMMIT fails with the driver's own error, which SQLAlchemy never saw:
    the connection is invalidated here, so the session's close skips its rollback and the
    pool discards it, as it does a connection whose ROLLBACK failed.
    """
    connection = session.info.get(_CONNECTION)
    if connection is None or connection.closed or not connection.in_transaction():
        return
    if connection.info.get(_WROTE, True):
        return
    try:
        connection.connection.dbapi_connection.commit()
    except connection.dialect.loaded_dbapi.Error as error:
        connection.invalidate(error)


def is_unavailable(error: BaseException) -> bool:
    """True when the database could not be reached or the connection broke: the request may
    succeed elsewhere or a moment later (503), unlike an error in the request itself.

    psycopg marks its client-side failures by having no SQLSTATE (the server's errors, a
    cancelled statement included, all have one); MariaDB's client has error codes for them.
    """
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, OperationalError):
        return False
    original = error.orig
    if hasattr(original, "sqlstate"):
        return getattr(original, "sqlstate", "") is None
    args: tuple[object, ...] = getattr(original, "args", ())
    return bool(args) and args[0] in MARIADB_CONNECTION_ERRORS


MARIADB_CHECK_VIOLATION = 4025
# The largest id a row can have: the id columns are INTEGER, 32-bit signed on PostgreSQL and
# MariaDB (64-bit on SQLite). A larger number bound to a query overflows in the driver.
MAX_ROW_ID = 2**31 - 1


def is_constraint_violation(error: BaseException) -> bool:
    """True when the database refused a row for breaking a constraint.

    PostgreSQL and SQLite raise IntegrityError (DataError for an over-long value);
    MariaDB reports a failed CHECK as an OperationalError with code 4025.
    """
    if isinstance(error, IntegrityError | DataError):
        return True
    if isinstance(error, OperationalError):
        args: tuple[object, ...] = getattr(error.orig, "args", ())
        return bool(args) and args[0] == MARIADB_CHECK_VIOLATION
    return False


# Search objects that migrations 0003 (items) and 0011 (accounts) create per dialect; they
# are not in the models.
SEARCH_OBJECT_NAMES = frozenset(
    {
        "items_fts",
        "search_vector",
        "ix_items_search_vector",
        "ix_items_fulltext",
        "users_search",
        "ix_users_search_trigram",
    }
)
# Partial indexes that migration 0006 creates where the database has them.
PARTIAL_INDEX_NAMES = frozenset({"ix_items_with_image_recent"})


def include_in_autogenerate(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the per-dialect search objects (and FTS5's shadow tables) and partial indexes out
    of autogenerate."""
    if name is None:
        return True
    if name in SEARCH_OBJECT_NAMES or name in PARTIAL_INDEX_NAMES:
        return False
    return not name.startswith(("items_fts_", "users_search_"))
