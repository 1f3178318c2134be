"""Flask-Limiter's counts in the app's database, for a deployment without Redis.

Flask-Limiter keeps its counts in a ``limits`` storage. In memory, each gunicorn worker would
count on its own and let the whole limit through: with four workers, forty failed sign-ins
instead of ten. So the app uses Redis when ``OSNOVA_REDIS_URL`` is set, and this storage
otherwise: one row per key in ``rate_limit_counters``, which every worker and host sees.

A hit is one upsert that adds to the count, or starts a new window when the old one has
expired, and returns the new count; the row lock it takes makes concurrent hits add up
exactly on every backend. Each operation runs on a connection of its own and commits at
once, so a count survives the request's rollback. On PostgreSQL that commit does not wait for
the disk (``synchronous_commit = off`` for this transaction alone): a server crash may forget
the last hits, and a sign-in is spared the flush it would otherwise wait for, most of the cost
of a count. SQLite (WAL, ``synchronous = NORMAL``) does not wait either; MariaDB has no such
switch per transaction and flushes each count (see docs/operations.md). Expired rows are left
for housekeeping.
"""

from __future__ import annotations

import hashlib
import time
from datetime import datetime, timedelta

from limits.storage import Storage
from sqlalchemy import Connection, Insert, case, delete, literal, select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from osnova.database import UTCDateTime, utcnow
from osnova.extensions import db
from osnova.models import RateLimitCounter

STORAGE_URI = "osnova-database://"
# Concurrent first hits on a new key can deadlock on MariaDB's duplicate-key locks; InnoDB
# rolls one back and asks for it to be run again, which is safe: nothing else was in it.
MARIADB_DEADLOCK = 1213
UPSERT_ATTEMPTS = 3


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def add_hits(dialect: str, digest: str, amount: int, now: datetime, expires_at: datetime) -> Insert:
    """``INSERT … ON CONFLICT/DUPLICATE KEY UPDATE … RETURNING hits`` for ``dialect``."""
    expired = RateLimitCounter.expires_at <= literal(now, UTCDateTime())
    new_expiry = literal(expires_at, UTCDateTime())
    hits = case((expired, amount), else_=RateLimitCounter.hits + amount)
    expiry = case((expired, new_expiry), else_=RateLimitCounter.expires_at)
    row = {"key_digest": digest, "hits": amount, "expires_at": expires_at}
    if dialect in ("mysql", "mariadb"):
        # MariaDB applies the assignments left to right: ``hits`` must still see the old expiry.
        upsert: Insert = (
            mysql.insert(RateLimitCounter)
            .values(row)
            .on_duplicate_key_update([("hits", hits), ("expires_at", expiry)])
        )
    else:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = (
            insert(RateLimitCounter)
            .values(row)
            .on_conflict_do_update(
                index_elements=[RateLimitCounter.key_digest],
                set_={"hits": hits, "expires_at": expiry},
            )
        )
    return upsert.returning(RateLimitCounter.hits)


class DatabaseStorage(Storage):
    """A fixed-window ``limits`` storage on the current app's database (``db.engine``)."""

    STORAGE_SCHEME = ["osnova-database"]  # noqa: RUF012 - read once, by limits' registry

    def __init__(
        self, uri: str | None = None, wrap_exceptions: bool = False, **options: float | str | bool
    ) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self) -> type[Exception] | tuple[type[Exception], ...]:
        return SQLAlchemyError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        for attempt in range(1, UPSERT_ATTEMPTS + 1):
            now = utcnow()
            try:
                with db.engine.begin() as connection:
                    _without_waiting_for_the_disk(connection)
                    statement = add_hits(
                        connection.dialect.name,
                        key_digest(key),
                        amount,
                        now,
                        now + timedelta(seconds=expiry),
                    )
                    return int(connection.execute(statement).scalar_one())
            except OperationalError as error:
                if attempt == UPSERT_ATTEMPTS or not _is_deadlock(error):
                    raise
        raise AssertionError("unreachable: the last attempt returns or raises")

    def get(self, key: str) -> int:
        with db.engine.connect() as connection:
            hits = connection.scalar(
                select(RateLimitCounter.hits).where(
                    RateLimitCounter.key_digest == key_digest(key),
                    RateLimitCounter.expires_at > utcnow(),
                )
            )
        return int(hits or 0)

    def get_expiry(self, key: str) -> float:
        with db.engine.connect() as connection:
            expires_at = connection.scalar(
                select(RateLimitCounter.expires_at).where(
                    RateLimitCounter.key_digest == key_digest(key),
                    RateLimitCounter.expires_at > utcnow(),
                )
            )
        return expires_at.timestamp() if isinstance(expires_at, datetime) else time.time()

    def check(self) -> bool:
        with db.engine.connect() as connection:
            connection.scalar(select(literal(1)))
        return True

    def reset(self) -> int | None:
        with db.engine.begin() as connection:
            removed: int = connection.execute(delete(RateLimitCounter)).rowcount
        return removed

    def clear(self, key: str) -> None:
        with db.engine.begin() as connection:
            _without_waiting_for_the_disk(connection)
            connection.execute(
                delete(RateLimitCounter).where(RateLimitCounter.key_digest == key_digest(key))
            )


def _is_deadlock(error: OperationalError) -> bool:
    args: tuple[object, ...] = getattr(error.orig, "args", ())
    return bool(args) and args[0] == MARIADB_DEADLOCK


def _without_waiting_for_the_disk(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
