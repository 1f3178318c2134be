"""Every database statement of a request ends by the request's deadline (``osnova.deadline``).

A request that answers in milliseconds, nearly all of them, must pay (almost) nothing:

- The connection keeps a session limit of the whole deadline (PostgreSQL
  ``statement_timeout``, MariaDB ``max_statement_time``), set once in its life, outside any
  transaction. A statement of a request younger than ``FRESH_SECONDS`` runs under it and
  may end at most that much past the deadline.
- An older request's statements get the time left: PostgreSQL ``SET LOCAL`` once a
  transaction (set again every ``FRESH_SECONDS``), MariaDB ``SET STATEMENT … FOR`` around
  the statement itself.
- A statement with no deadline (an export streaming after its request's answer began) on a
  connection with a session limit has it lifted first.
- SQLite has a progress handler, called every few thousand virtual machine steps, which
  interrupts the statement once the deadline has passed.

The driver's "cancelled" error becomes ``DeadlineExceeded``, the one error loops raise too.
Outside a request (the CLI, the job worker) no deadline is set and nothing is bounded.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, event
from sqlalchemy.engine import ExceptionContext

from osnova import deadline
from osnova.errors import DeadlineExceeded

# SQLite calls the progress handler every this many virtual machine instructions: well
# under a millisecond of work, and cheap next to it.
SQLITE_PROGRESS_STEPS = 2_000
# How far past the deadline a statement may run: its limit is set again once older.
FRESH_SECONDS = 0.25
POSTGRES_QUERY_CANCELED = "57014"
MARIADB_STATEMENT_TIME_EXCEEDED = 1969
_SESSION_LIMIT = "osnova_session_statement_limit"  # seconds, on a connection's info
_LOCAL_LIMIT = "osnova_local_statement_limit"  # (deadline, when set) for this transaction
_PROGRESS_HANDLER = "osnova_progress_handler"  # on a SQLite connection's info: installed
_MARIADB_BOUNDED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def bound_statements(engine: Engine, deadline_seconds: float) -> None:
    """Install the brake for ``engine``'s database; harmless where no deadline is set."""
    name = engine.dialect.name
    if name == "sqlite":
        event.listen(engine, "connect", _install_progress_handler)
    elif name == "postgresql":
        event.listen(engine, "before_cursor_execute", _PostgresLimit(deadline_seconds))
        for ending in ("commit", "rollback", "rollback_savepoint"):
            event.listen(engine, ending, _forget_local_limit)
        event.listen(engine, "checkin", _forget_local_limit_of_record)
    elif name in ("mysql", "mariadb"):
        limit = _MariaDBLimit(deadline_seconds)
        event.listen(engine, "before_cursor_execute", limit, retval=True)
    event.listen(engine, "handle_error", _as_deadline_exceeded)


def is_interruption(error: BaseException) -> bool:
    """True for a driver's error saying a statement was stopped for running too long."""
    if getattr(error, "sqlstate", None) == POSTGRES_QUERY_CANCELED:
        return True
    if isinstance(error, sqlite3.OperationalError):
        return str(error) == "interrupted"
    args: tuple[object, ...] = getattr(error, "args", ())
    return bool(args) and args[0] == MARIADB_STATEMENT_TIME_EXCEEDED


def _time_left() -> float | None:
    """Seconds left for a statement; raises when none are."""
    left = deadline.remaining()
    if left is not None and left <= 0:
        raise DeadlineExceeded()
    return left


def _past_deadline() -> int:
    return 1 if deadline.expired() else 0


def _install_progress_handler(dbapi_connection: sqlite3.Connection, record: Any) -> None:
    dbapi_connection.set_progress_handler(_past_deadline, SQLITE_PROGRESS_STEPS)
    record.info[_PROGRESS_HANDLER] = True


@contextmanager
def unbounded_in_other_thread(connection: Connection) -> Iterator[None]:
    """SQLite's progress handler is off while the block runs, and back on after it.

    For statements that another thread runs on ``connection`` (the import's writer): that
    thread's context holds no request deadline, so the handler could never stop them, and
    each call would wait for the GIL, which the thread feeding them holds while it reads
    and validates. Importing 1,000,000 users took 23.6 s with the handler and 15.9 s
    without.
    """
    proxied = connection.connection
    if not proxied.info.get(_PROGRESS_HANDLER):
        yield
        return
    raw: Any = proxied.driver_connection
    raw.set_progress_handler(None, 0)
    try:
        yield
    finally:
        raw.set_progress_handler(_past_deadline, SQLITE_PROGRESS_STEPS)


class _PostgresLimit:
    """``before_cursor_execute`` for PostgreSQL (see the module's docstring)."""

    def __init__(self, deadline_seconds: float) -> None:
        self.session_seconds = deadline_seconds

    def __call__(
        self, conn: Connection, cursor: Any, _sql: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        left = _time_left()
        session_limit = conn.info.get(_SESSION_LIMIT)
        if left is None:
            if session_limit is not None:
                self._lift(conn, cursor.connection)
            return
        if left > self.session_seconds - FRESH_SECONDS:
            if session_limit == self.session_seconds:
                return
            if _idle(cursor.connection):
                _run_outside_transaction(
                    cursor.connection, f"SET statement_timeout = {_ms(self.session_seconds)}"
                )
                conn.info[_SESSION_LIMIT] = self.session_seconds
                return
        now, ends_at = time.monotonic(), deadline.ends_at()
        was = conn.info.get(_LOCAL_LIMIT)
        if was is not None and was[0] == ends_at and now - was[1] < FRESH_SECONDS:
            return
        _run(cursor.connection, f"SET LOCAL statement_timeout = {_ms(left)}")
        conn.info[_LOCAL_LIMIT] = (ends_at, now)

    def _lift(self, conn: Connection, dbapi_connection: Any) -> None:
        if _idle(dbapi_connection):
            _run_outside_transaction(dbapi_connection, "SET statement_timeout = 0")
            del conn.info[_SESSION_LIMIT]
        elif conn.info.get(_LOCAL_LIMIT) != (None, None):
            _run(dbapi_connection, "SET LOCAL statement_timeout = 0")
            conn.info[_LOCAL_LIMIT] = (None, None)


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000))  # 0 would mean no limit at all


def _idle(dbapi_connection: Any) -> bool:
    from psycopg import pq  # noqa: PLC0415 - only on PostgreSQL

    return bool(dbapi_connection.info.transaction_status == pq.TransactionStatus.IDLE)


def _run(dbapi_connection: Any, sql: str) -> None:
    # A cursor of its own: the statement's may be a server-side (named) cursor.
    with dbapi_connection.cursor() as cursor:
        cursor.execute(sql)


def _run_outside_transaction(dbapi_connection: Any, sql: str) -> None:
    """A session setting that a rolled-back transaction cannot undo."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        _run(dbapi_connection, sql)
    finally:
        dbapi_connection.autocommit = autocommit


def _forget_local_limit(conn: Connection, *_args: Any) -> None:
    conn.info.pop(_LOCAL_LIMIT, None)


def _forget_local_limit_of_record(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info.pop(_LOCAL_LIMIT, None)


class _MariaDBLimit:
    """``before_cursor_execute`` for MariaDB (see the module's docstring)."""

    def __init__(self, deadline_seconds: float) -> None:
        self.session_seconds = deadline_seconds

    def __call__(
        self, conn: Connection, cursor: Any, sql: str, params: Any, _ctx: Any, many: bool
    ) -> tuple[str, Any]:
        left = _time_left()
        session_limit = conn.info.get(_SESSION_LIMIT)
        if left is None:
            if session_limit is not None:
                _run(cursor.connection, "SET SESSION max_statement_time = 0")
                del conn.info[_SESSION_LIMIT]
            return sql, params
        if session_limit != self.session_seconds:
            _run(cursor.connection, f"SET SESSION max_statement_time = {self.session_seconds}")
            conn.info[_SESSION_LIMIT] = self.session_seconds
        if (
            left > self.session_seconds - FRESH_SECONDS
            or many
            or not sql.lstrip()[:6].upper().startswith(_MARIADB_BOUNDED)
        ):
            return sql, params
        return f"SET STATEMENT max_statement_time={max(left, 0.001):.3f} FOR {sql}", params


def _as_deadline_exceeded(context: ExceptionContext) -> None:
    if deadline.remaining() is not None and is_interruption(context.original_exception):
        raise DeadlineExceeded() from context.original_exception
