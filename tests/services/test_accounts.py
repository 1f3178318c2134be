"""Account service rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osnova.config import Environment, Settings
from osnova.errors import Conflict, NotFound
from osnova.models import User
from osnova.schemas import UserCreate
from osnova.security import verify_password
from osnova.services import accounts, sign_in


def new_user(**values: object) -> UserCreate:
    data: dict[str, object] = {"username": "olena", "email": "olena@example.org"}
    return UserCreate.model_validate(data | values)


def test_create_user_normalises_username_and_email(session: Session, settings: Settings) -> None:
    user = accounts.create_user(
        session=session,
        settings=settings,
        data=new_user(username=" Olena ", email="Olena@Example.ORG"),
    )
    assert (user.username, user.email) == ("olena", "olena@example.org")


def test_create_user_stores_an_argon2id_hash_not_the_password(
    session: Session, settings: Settings
) -> None:
    user = accounts.create_user(
        session=session, settings=settings, data=new_user(password="a long enough secret")
    )
    assert user.password_hash is not None
    assert user.password_hash.startswith("$argon2id$")
    assert "a long enough secret" not in user.password_hash
    assert verify_password(settings, user.password_hash, "a long enough secret")


def test_taken_username_in_other_case_is_a_conflict_and_adds_nothing(
    session: Session, settings: Settings
) -> None:
    accounts.create_user(session=session, settings=settings, data=new_user())
    session.commit()
    with pytest.raises(Conflict):
        accounts.create_user(
            session=session,
            settings=settings,
            data=new_user(username="OLENA", email="o2@example.org"),
        )
    assert session.scalar(select(func.count()).select_from(User)) == 1


@pytest.mark.parametrize(
    "values",
    [
        {"username": "ab"},
        {"username": "with space"},
        {"email": "not-an-email"},
        {"password": "short"},
        {"role": "superuser"},
        {"is_active": False},
    ],
)
def test_invalid_user_data_is_refused_before_the_database(values: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        new_user(**values)


def test_get_by_username_is_case_insensitive(session: Session, settings: Settings) -> None:
    accounts.create_user(session=session, settings=settings, data=new_user())
    assert accounts.get_by_username(session=session, username="OLENA").username == "olena"


def test_get_by_username_of_an_unknown_name_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        accounts.get_by_username(session=session, username="nobody")


def test_login_upgrades_a_hash_made_with_older_parameters(
    session: Session, settings: Settings
) -> None:
    weaker = settings  # the testing profile hashes with the cheapest parameters
    stronger = settings.model_copy(update={"env": Environment.DEVELOPMENT})
    user = accounts.create_user(
        session=session,
        settings=weaker,
        data=new_user(password="correct horse battery staple"),
    )
    old_hash = user.password_hash
    sign_in.authenticate(
        session=session,
        settings=stronger,
        login="olena",
        password="correct horse battery staple",
        remote_addr=None,
    )
    assert user.password_hash != old_hash
    assert user.password_hash is not None
    assert "$m=19456,t=2," in user.password_hash
    assert verify_password(stronger, user.password_hash, "correct horse battery staple")
