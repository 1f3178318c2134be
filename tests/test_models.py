"""Rules the database itself enforces, below the service layer (raw SQL, no services)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from osnova.database import is_constraint_violation
from osnova.models import AuditEvent, Item, User
from tests.support.factories import ItemFactory, UserFactory


@contextmanager
def refused_by_database() -> Iterator[None]:
    with pytest.raises(DBAPIError) as raised:
        yield
    assert is_constraint_violation(raised.value), raised.value


def insert_user(session: Session, username: str, email: str, **values: object) -> None:
    row: dict[str, object] = {"username": username, "email": email, "full_name": "", "role": "user"}
    row |= {"is_active": True, "created_at": datetime.now(UTC)} | values
    session.execute(insert(User), [row])
    session.flush()


def test_duplicate_username_in_other_case_is_refused_by_the_database(session: Session) -> None:
    insert_user(session, "olena", "olena@example.org")
    with refused_by_database():
        insert_user(session, "OLENA", "other@example.org")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_duplicate_email_in_other_case_is_refused_by_the_database(session: Session) -> None:
    insert_user(session, "olena", "olena@example.org")
    with refused_by_database():
        insert_user(session, "olena2", "Olena@Example.org")


@pytest.mark.parametrize("username", ["ab", "x" * 33, "has space", "slash/name", "тарас"])
def test_malformed_username_is_refused_by_the_database(session: Session, username: str) -> None:
    with refused_by_database():
        insert_user(session, username, "someone@example.org")


def test_unknown_role_is_refused_by_the_database(session: Session) -> None:
    with refused_by_database():
        insert_user(session, "olena", "olena@example.org", role="superuser")


def test_title_over_200_characters_is_refused_by_the_database(session: Session) -> None:
    owner = UserFactory()
    now = datetime.now(UTC)
    row = {"owner_id": owner.id, "description": "", "is_public": True}
    row |= {"created_at": now, "updated_at": now}
    session.execute(insert(Item), [row | {"title": "я" * 200}])
    with refused_by_database():
        session.execute(insert(Item), [row | {"title": "я" * 201}])


def test_deleting_a_user_deletes_their_items_in_the_database(session: Session) -> None:
    item = ItemFactory()
    owner_id, item_id = item.owner_id, item.id
    session.expunge_all()
    session.execute(text("DELETE FROM users WHERE id = :id"), {"id": owner_id})
    session.commit()
    assert session.get(Item, item_id) is None


def test_audit_events_outlive_their_actor(session: Session) -> None:
    actor_id = UserFactory().id
    session.add(AuditEvent(actor_id=actor_id, action="login.success", details={"via": "web"}))
    session.commit()
    session.expunge_all()
    session.execute(text("DELETE FROM users WHERE id = :id"), {"id": actor_id})
    session.commit()
    event = session.scalars(select(AuditEvent)).one()
    assert event.actor_id is None
    assert event.details == {"via": "web"}


def test_timestamps_round_trip_as_aware_utc_with_microseconds(session: Session) -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    user_id = UserFactory(created_at=moment).id
    session.expunge_all()
    loaded = session.get(User, user_id)
    assert loaded is not None
    assert loaded.created_at == moment
    assert loaded.created_at.tzinfo is UTC


@pytest.mark.parametrize(
    "stored",
    [
        "2026-01-02 03:04:05",  # SQL's CURRENT_TIMESTAMP
        "2026-01-02 03:04:05.000000",
        "2026-01-02T05:04:05+02:00",
        "2026-01-02 03:04:05Z",
    ],
)
def test_sqlite_text_timestamps_from_other_writers_read_as_aware_utc(
    session: Session, backend: str, stored: str
) -> None:
    if backend != "sqlite":
        pytest.skip("only SQLite keeps timestamps as text")
    user_id = UserFactory().id
    session.execute(
        text("UPDATE users SET created_at = :stored WHERE id = :id"),
        {"stored": stored, "id": user_id},
    )
    session.expunge_all()
    loaded = session.get(User, user_id)
    assert loaded is not None
    assert loaded.created_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert loaded.created_at.tzinfo is UTC
