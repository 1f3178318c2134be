"""Rate-limit counts in the database: exact under concurrency, windowed, stored as digests."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from osnova.database import utcnow
from osnova.extensions import db, limiter
from osnova.http.limits_storage import DatabaseStorage, add_hits, key_digest
from osnova.models import RateLimitCounter

KEY = "LIMITER/osnova/login-failures/user:1/10/15/minute"


def test_the_app_counts_in_the_database_when_there_is_no_redis(app: Flask) -> None:
    assert isinstance(limiter.storage, DatabaseStorage)


def test_hits_add_up_and_the_count_expires_with_its_window(session: Session) -> None:
    storage = DatabaseStorage()
    assert [storage.incr(KEY, expiry=900) for _ in range(3)] == [1, 2, 3]
    assert storage.incr(KEY, expiry=900, amount=2) == 5
    assert storage.get(KEY) == 5
    assert time.time() + 800 < storage.get_expiry(KEY) <= time.time() + 900
    assert storage.get("another key") == 0

    _age_window(session, KEY)
    assert storage.get(KEY) == 0
    assert storage.get_expiry(KEY) <= time.time() + 1
    assert storage.incr(KEY, expiry=900) == 1  # a new window starts
    assert storage.get_expiry(KEY) > time.time() + 800


def test_concurrent_hits_from_many_connections_are_all_counted(app: Flask) -> None:
    storage = DatabaseStorage()

    def hit_in_app_context(_: int) -> int:
        with app.app_context():
            return storage.incr(KEY, expiry=900)

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(hit_in_app_context, range(80)))
    assert sorted(counts) == list(range(1, 81))  # each hit saw its own count
    assert storage.get(KEY) == 80


def test_first_hits_waiting_on_an_uncommitted_insert_all_count(app: Flask) -> None:
    """Two first hits queue behind a third that is rolled back (a deadlock on MariaDB)."""
    storage = DatabaseStorage()
    holder = db.engine.connect()
    now = utcnow()
    holder.execute(add_hits(holder.dialect.name, key_digest(KEY), 1, now, now + timedelta(1)))

    def hit_in_app_context() -> int:
        with app.app_context():
            return storage.incr(KEY, expiry=900)

    with ThreadPoolExecutor(max_workers=2) as pool:
        waiting = [pool.submit(hit_in_app_context) for _ in range(2)]
        time.sleep(1)  # should the hits not be waiting yet on a busy machine, they just count
        holder.rollback()
        holder.close()
        counts = sorted(future.result() for future in waiting)
    assert counts == [1, 2]


def test_clear_forgets_one_key_and_reset_forgets_all(app: Flask) -> None:
    storage = DatabaseStorage()
    storage.incr(KEY, expiry=60)
    storage.incr("other", expiry=60)
    storage.clear(KEY)
    assert (storage.get(KEY), storage.get("other")) == (0, 1)
    assert storage.check()
    assert storage.reset() == 1
    assert storage.get("other") == 0


def test_only_a_digest_of_the_key_is_stored(app: Flask, session: Session) -> None:
    DatabaseStorage().incr("LIMITER/osnova/203.0.113.9/auth.login", expiry=60)
    stored = session.scalars(select(RateLimitCounter.key_digest)).all()
    assert stored == [key_digest("LIMITER/osnova/203.0.113.9/auth.login")]
    assert len(stored[0]) == 64


def _age_window(session: Session, key: str) -> None:
    session.execute(
        update(RateLimitCounter)
        .where(RateLimitCounter.key_digest == key_digest(key))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
