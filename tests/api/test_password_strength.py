"""The API's registration refuses a password that is easy to guess, naming the field."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osnova.models import User
from tests.support.clients import assert_problem, field_errors
from tests.support.factories import UserFactory
from tests.web.test_password_strength import EASY_TO_GUESS, TWELVE_CHARACTER_PASSPHRASE


@pytest.mark.parametrize("password", EASY_TO_GUESS)
def test_a_password_that_is_easy_to_guess_is_a_422_on_the_password_field(
    client: FlaskClient, session: Session, password: str
) -> None:
    response = client.post(
        "/api/v1/users",
        json={"username": "olena", "email": "olena@example.org", "password": password},
    )
    errors = field_errors(assert_problem(response, 422))
    assert errors["password"].startswith("This password is too easy to guess")
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_the_field_error_follows_accept_language(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/users",
        json={"username": "olena", "email": "olena@example.org", "password": "aaaaaaaaaaaa"},
        headers={"Accept-Language": "uk"},
    )
    assert field_errors(assert_problem(response, 422))["password"].startswith(
        "Цей пароль легко вгадати"
    )


def test_a_twelve_character_passphrase_registers(client: FlaskClient, session: Session) -> None:
    response = client.post(
        "/api/v1/users",
        json={
            "username": "olena",
            "email": "olena@example.org",
            "password": TWELVE_CHARACTER_PASSPHRASE,
        },
    )
    assert response.status_code == 202
    assert session.scalar(select(User.username)) == "olena"


def test_a_weak_password_and_a_taken_username_are_reported_together(
    client: FlaskClient, session: Session
) -> None:
    UserFactory(username="olena")
    response = client.post(
        "/api/v1/users",
        json={"username": "olena", "email": "other@example.org", "password": "aaaaaaaaaaaa"},
    )
    errors = field_errors(assert_problem(response, 422))
    assert errors["username"] == "This username is taken."
    assert errors["password"].startswith("This password is too easy to guess")
    assert session.scalar(select(func.count()).select_from(User)) == 1


def test_a_taken_username_alone_is_still_a_409(client: FlaskClient) -> None:
    UserFactory(username="olena")
    response = client.post(
        "/api/v1/users",
        json={
            "username": "olena",
            "email": "other@example.org",
            "password": TWELVE_CHARACTER_PASSPHRASE,
        },
    )
    assert field_errors(assert_problem(response, 409)) == {"username": "This username is taken."}
