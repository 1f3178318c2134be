"""The dashboard's SQL panels give what the ORM counts, on every database."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.errors import PermissionDenied
from osnova.models import ApiToken, AuditEvent, Item, User
from osnova.services import reports
from tests.support.factories import ItemFactory, UserFactory

NOW = datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
TODAY = NOW.date()


def at(days_ago: int, hour: int = 12) -> datetime:
    day = TODAY - timedelta(days=days_ago)
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def event(session: Session, action: str, when: datetime, **details: object) -> None:
    session.add(AuditEvent(action=action, at=when, details=details))


@pytest.fixture
def varied_site(session: Session) -> User:
    """Accounts, items, events and tokens on both sides of every boundary the panels use."""
    admin = UserFactory(username="boss", role="admin", created_at=at(40))
    for n, days_ago in enumerate([0, 0, 1, 5, 29, 30, 31]):
        owner = UserFactory(username=f"member{n}", created_at=at(days_ago), is_active=n % 3 != 0)
        for k in range(n):
            ItemFactory(owner=owner, created_at=at(k * 4), is_public=k % 2 == 0)
    # Midnight exactly belongs to the day it starts; a microsecond before, to the day before.
    UserFactory(username="midnight", created_at=at(2, 0))
    UserFactory(username="lastsecond", created_at=at(3, 0) - timedelta(microseconds=1))
    event(session, "login.success", at(0, 0))
    event(session, "login.success", at(0, 9))
    event(session, "login.success", at(0, 0) - timedelta(microseconds=1))
    event(session, "login.failure", at(0, 1), login="nobody")
    event(session, "login.failure", at(3))
    event(session, "import.items", at(1), dry_run=False, rows=10)
    event(session, "import.users", at(6), dry_run=False, rows=3)
    event(session, "import.users", at(2), dry_run=True, rows=3)
    event(session, "import.items", at(8), dry_run=False, rows=1)
    event(session, "export.items", at(1))
    live_owner = session.scalars(select(User).where(User.username == "member1")).one()
    gone_owner = session.scalars(select(User).where(User.username == "member0")).one()
    for n, (owner, expires, revoked) in enumerate(
        [
            (live_owner, NOW + timedelta(days=3), None),
            (live_owner, None, None),
            (live_owner, NOW - timedelta(seconds=1), None),
            (live_owner, NOW + timedelta(days=3), NOW - timedelta(days=1)),
            (gone_owner, NOW + timedelta(days=3), None),
        ]
    ):
        session.add(
            ApiToken(
                user=owner,
                name=f"t{n}",
                token_hash=f"{n:064d}",
                expires_at=expires,
                revoked_at=revoked,
                created_at=at(1),
            )
        )
    session.commit()
    return admin


def test_the_counts_panel_matches_the_orm(session: Session, varied_site: User) -> None:
    counts = reports.site_counts(session=session, actor=varied_site, now=NOW)

    users = session.scalars(select(User)).all()
    items = session.scalars(select(Item)).all()
    events = session.scalars(select(AuditEvent)).all()
    tokens = session.scalars(select(ApiToken)).all()
    midnight = datetime(TODAY.year, TODAY.month, TODAY.day, tzinfo=UTC)
    expected = reports.SiteCounts(
        accounts=len(users),
        active_accounts=sum(u.is_active for u in users),
        items=len(items),
        public_items=sum(i.is_public for i in items),
        sign_ins_today=sum(e.action == "login.success" and e.at >= midnight for e in events),
        failed_sign_ins_today=sum(e.action == "login.failure" and e.at >= midnight for e in events),
        tokens_in_use=sum(
            t.revoked_at is None
            and (t.expires_at is None or t.expires_at > NOW)
            and t.user.is_active
            for t in tokens
        ),
        imports_this_week=sum(
            e.action.startswith("import.")
            and e.at >= NOW - timedelta(days=7)
            and not e.details.get("dry_run")
            for e in events
        ),
    )
    assert counts == expected
    assert (counts.sign_ins_today, counts.tokens_in_use, counts.imports_this_week) == (2, 2, 2)


def test_the_activity_panel_matches_the_orm(session: Session, varied_site: User) -> None:
    activity = reports.daily_activity(session=session, actor=varied_site, today=TODAY)

    users = session.scalars(select(User)).all()
    items = session.scalars(select(Item)).all()
    days = [TODAY - timedelta(days=n) for n in range(29, -1, -1)]
    expected = [
        reports.DayActivity(
            day,
            sum(u.created_at.date() == day for u in users),
            sum(i.created_at.date() == day for i in items),
        )
        for day in days
    ]
    assert activity == expected
    assert activity[0].day == date(2026, 11, 4)
    assert sum(d.sign_ups for d in activity) == 7  # not the ones 30 and more days ago


def test_only_admins_read_the_figures(session: Session) -> None:
    moderator = UserFactory(role="moderator")
    with pytest.raises(PermissionDenied):
        reports.site_counts(session=session, actor=moderator, now=NOW)
    with pytest.raises(PermissionDenied):
        reports.daily_activity(session=session, actor=moderator, today=TODAY)
