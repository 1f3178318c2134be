"""Housekeeping removes what has outlived its use, and nothing else."""

from __future__ import annotations

import os
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Settings
from osnova.database import utcnow
from osnova.models import (
    ApiToken,
    AuditEvent,
    ImportJob,
    RateLimitCounter,
    RememberedDevice,
    User,
)
from osnova.services import housekeeping
from osnova.services.import_jobs import spool_folder
from tests.support.factories import UserFactory


def _token(user: User, name: str, **when: object) -> None:
    digest = name.ljust(64, "0")
    user_token = ApiToken(user_id=user.id, name=name, token_hash=digest, **when)
    Session.object_session(user).add(user_token)  # type: ignore[union-attr]


def _job(user: User, status: str, days_old: int, spool: str | None = None) -> ImportJob:
    return ImportJob(
        actor_id=user.id,
        kind="items",
        format="csv",
        on_conflict="error",
        dry_run=False,
        status=status,
        spool_name=spool,
        rows_done=0,
        attempts=0,
        created_at=utcnow() - timedelta(days=days_old),
    )


def _old_file(path: os.PathLike[str], hours: float) -> None:
    with open(path, "wb") as file:
        file.write(b"title\nMap\n")
    stamp = time.time() - hours * 3600
    os.utime(path, (stamp, stamp))


def test_a_sweep_removes_what_has_outlived_its_use_and_nothing_else(
    session: Session, settings: Settings
) -> None:
    olena = UserFactory(username="olena")
    now = utcnow()
    _token(olena, "expired", expires_at=now - timedelta(minutes=1))
    _token(olena, "revoked", revoked_at=now - timedelta(hours=1), expires_at=now + timedelta(1))
    _token(olena, "valid", expires_at=now + timedelta(days=30))
    _token(olena, "no-expiry")
    session.add_all(
        [
            RememberedDevice(
                user=olena,
                token_hash="a" * 64,
                user_agent="expired",
                created_at=now - timedelta(days=31),
                last_used_at=now - timedelta(days=2),
                expires_at=now - timedelta(days=1),
            ),
            RememberedDevice(
                user=olena,
                token_hash="b" * 64,
                user_agent="live",
                created_at=now,
                last_used_at=now,
                expires_at=now + timedelta(days=30),
            ),
            _job(olena, "done", days_old=30),
            _job(olena, "failed", days_old=30),
            _job(olena, "done", days_old=1),
            _job(olena, "queued", days_old=30, spool="waiting"),
            AuditEvent(action="old", at=now - timedelta(days=400)),
            AuditEvent(action="recent", at=now - timedelta(days=10)),
            RateLimitCounter(key_digest="ended", hits=10, expires_at=now - timedelta(seconds=1)),
            RateLimitCounter(key_digest="current", hits=3, expires_at=now + timedelta(minutes=5)),
        ]
    )
    session.commit()
    spools = spool_folder(settings)
    spools.mkdir(parents=True)
    _old_file(spools / "waiting", hours=48)  # its job is still queued
    _old_file(spools / "orphan", hours=2)
    _old_file(spools / "fresh", hours=0.1)  # may still be being written
    pending = settings.instance_dir.resolve() / "imports"
    pending.mkdir(parents=True)
    _old_file(pending / "unconfirmed", hours=3)

    swept = housekeeping.sweep(session=session, settings=settings)
    session.commit()

    assert swept.to_dict() == {
        "tokens": 2,
        "remembered_devices": 1,
        "import_jobs": 2,
        "spooled_files": 2,
        "audit_events": 1,
        "email_changes": 0,
        "rate_limit_counters": 1,
    }
    session.expire_all()
    assert sorted(session.scalars(select(ApiToken.name))) == ["no-expiry", "valid"]
    assert sorted(
        (job.status, round((now - job.created_at) / timedelta(days=1)))
        for job in session.scalars(select(ImportJob))
    ) == [("done", 1), ("queued", 30)]
    assert list(session.scalars(select(AuditEvent.action))) == ["recent"]
    assert list(session.scalars(select(RememberedDevice.user_agent))) == ["live"]
    assert list(session.scalars(select(RateLimitCounter.key_digest))) == ["current"]
    assert sorted(path.name for path in spools.iterdir()) == ["fresh", "waiting"]
    assert list(pending.iterdir()) == []

    again = housekeeping.sweep(session=session, settings=settings)
    assert again.to_dict() == dict.fromkeys(again.to_dict(), 0)


def test_a_sweep_forgets_email_changes_whose_link_has_expired(
    session: Session, settings: Settings
) -> None:
    now = utcnow()
    lifetime = timedelta(hours=settings.email_change_link_hours)
    UserFactory(
        username="late",
        pending_email="late.new@example.org",
        email_change_requested_at=now - lifetime - timedelta(minutes=1),
    )
    UserFactory(
        username="fresh",
        pending_email="fresh.new@example.org",
        email_change_requested_at=now - lifetime + timedelta(minutes=5),
    )
    UserFactory(username="settled")

    swept = housekeeping.sweep(session=session, settings=settings, now=now)
    session.commit()

    assert swept.email_changes == 1
    session.expire_all()
    rows = session.execute(
        select(User.username, User.email, User.pending_email).order_by(User.username)
    )
    assert [tuple(row) for row in rows] == [
        ("fresh", "fresh@example.org", "fresh.new@example.org"),
        ("late", "late@example.org", None),
        ("settled", "settled@example.org", None),
    ]
    late = session.scalar(select(User).where(User.username == "late"))
    assert late is not None
    assert late.email_change_requested_at is None
