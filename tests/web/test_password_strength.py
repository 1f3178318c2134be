"""Every form that sets a password refuses one that is easy to guess, and says why."""

from __future__ import annotations

from collections.abc import Callable
from html import unescape

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from osnova.models import User
from tests.support.clients import log_in, post_form
from tests.support.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.mail import SmtpSink
from tests.web.test_account_journey import add_user

EASY_TO_GUESS = ["password1234", "123456789012", "aaaaaaaaaaaa", "iloveyou1234"]
TWELVE_CHARACTER_PASSPHRASE = "zebra pickle"


def register(client: FlaskClient, password: str) -> str:
    response = post_form(
        client,
        "/register",
        {
            "username": "olena",
            "email": "olena@example.org",
            "password": password,
            "password_confirm": password,
        },
    )
    return unescape(response.text) if response.status_code == 200 else ""


@pytest.mark.parametrize("password", EASY_TO_GUESS)
def test_registration_refuses_a_password_that_is_easy_to_guess(
    client: FlaskClient, session: Session, password: str
) -> None:
    page = register(client, password)
    assert "This password is too easy to guess" in page
    assert session.scalar(select(func.count()).select_from(User)) == 0


def test_registration_accepts_a_twelve_character_passphrase(
    client: FlaskClient, session: Session
) -> None:
    response = post_form(
        client,
        "/register",
        {
            "username": "olena",
            "email": "olena@example.org",
            "password": TWELVE_CHARACTER_PASSPHRASE,
            "password_confirm": TWELVE_CHARACTER_PASSPHRASE,
        },
    )
    assert response.status_code == 302
    assert session.scalar(select(User.username)) == "olena"


def test_the_reason_is_given_in_ukrainian(client: FlaskClient) -> None:
    client.set_cookie("lang", "uk")
    page = register(client, "aaaaaaaaaaaa")
    assert "Цей пароль легко вгадати" in page


def test_a_password_built_on_the_users_name_is_refused(client: FlaskClient) -> None:
    response = post_form(
        client,
        "/register",
        {
            "username": "olena",
            "email": "olena@example.org",
            "full_name": "Olena Kovalenko",
            "password": "Kovalenko2024!",
            "password_confirm": "Kovalenko2024!",
        },
    )
    assert "built on your username, email or name" in unescape(response.text)


@pytest.mark.parametrize("password", EASY_TO_GUESS)
def test_changing_to_a_password_that_is_easy_to_guess_is_refused(
    client: FlaskClient, password: str
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": DEFAULT_PASSWORD,
            "new_password": password,
            "new_password_confirm": password,
        },
        form_page="/account",
    )
    assert response.status_code == 422
    assert "This password is too easy to guess" in unescape(response.text)
    assert log_in(client.application.test_client(), "olena").status_code == 302


def test_a_reset_to_a_password_that_is_easy_to_guess_is_refused(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email="ivan@example.org")
    client = app.test_client()
    post_form(client, "/password/forgot", {"email": "ivan@example.org"})
    assert client.get(smtp_sink.last_link("/password/reset/")).location == "/password/reset"
    refused = post_form(
        client, "/password/reset", {"password": "password1234", "password_confirm": "password1234"}
    )
    assert refused.status_code == 200
    assert "This password is too easy to guess" in unescape(refused.text)
    accepted = post_form(
        client,
        "/password/reset",
        {"password": TWELVE_CHARACTER_PASSPHRASE, "password_confirm": TWELVE_CHARACTER_PASSPHRASE},
    )
    assert accepted.status_code == 302
    assert log_in(app.test_client(), "ivan", TWELVE_CHARACTER_PASSPHRASE).status_code == 302
