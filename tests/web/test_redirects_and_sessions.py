"""Where sign-in sends people, and how long a session lives."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.models import AuditEvent
from osnova.web.helpers import safe_next
from osnova.web.sessions import LOGIN_AT, SEEN_AT
from tests.support.clients import log_in, post_form
from tests.support.factories import UserFactory
from tests.web.test_account_journey import add_user, replay

HOSTILE_NEXT = [
    "//evil.example",
    "////evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    "http:/evil.example",
    "/\t/evil.example",
    " //evil.example",
    "evil.example",
]


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_hostile_next_targets_land_on_the_home_page(target: str) -> None:
    assert safe_next(target) == "/"


@pytest.mark.parametrize("target", ["/items?q=a", "/account", "/user/olena#items"])
def test_local_paths_are_followed(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", ["//evil.example", "/\\evil.example", "https://evil.example"])
def test_login_ignores_a_hostile_next(client: FlaskClient, target: str) -> None:
    UserFactory(username="olena")
    response = log_in(client, "olena", next=target)
    assert response.location == "/"


def test_login_follows_a_local_next(client: FlaskClient) -> None:
    UserFactory(username="olena")
    assert log_in(client, "olena", next="/account").location == "/account"


def test_login_starts_a_new_session(client: FlaskClient) -> None:
    UserFactory(username="olena")
    with client.session_transaction() as before:
        before["planted"] = "by an attacker"
    log_in(client, "olena")
    with client.session_transaction() as after:
        assert "planted" not in after


def test_an_idle_session_ends(make_app: Callable[..., Flask]) -> None:
    app = make_app(session_idle_minutes=5)
    add_user(app, username="olena")
    client = app.test_client()
    log_in(client, "olena")
    with client.session_transaction() as state:
        state[SEEN_AT] = int(time.time()) - 6 * 60
    assert client.get("/account").status_code == 302


def test_a_session_ends_after_its_absolute_lifetime(make_app: Callable[..., Flask]) -> None:
    app = make_app(session_lifetime_hours=1)
    add_user(app, username="olena")
    client = app.test_client()
    log_in(client, "olena")
    with client.session_transaction() as state:
        state[LOGIN_AT] = int(time.time()) - 2 * 3600
    assert client.get("/account").status_code == 302


def test_remember_me_survives_the_session_but_not_a_password_change(
    app: Flask, client: FlaskClient
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena", remember="y")
    remember = client.get_cookie("remember_token")
    assert remember is not None
    assert remember.expires is not None
    assert remember.expires.timestamp() - time.time() <= 30 * 24 * 3600 + 5
    returning = app.test_client()
    returning.set_cookie("remember_token", remember.value)
    assert returning.get("/account").status_code == 200

    post_form(
        client,
        "/account/password",
        {
            "current_password": "correct horse battery staple",
            "new_password": "a brand new passphrase 5",
            "new_password_confirm": "a brand new passphrase 5",
        },
        form_page="/account",
    )
    stale = app.test_client()
    stale.set_cookie("remember_token", remember.value)
    assert stale.get("/account").status_code == 302


def test_a_deactivated_users_session_stops_working(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    user = UserFactory(username="olena")
    log_in(client, "olena")
    cookie = client.get_cookie("session")
    assert cookie is not None
    user.is_active = False
    session.commit()
    assert replay(app, cookie.value) is not None


def test_audit_records_sign_ins_without_secrets(client: FlaskClient, session: Session) -> None:
    UserFactory(username="olena")
    log_in(client, "olena", "a wrong password typed here")
    log_in(client, "olena")
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [event.action for event in events] == ["login.failure", "login.success"]
    assert all("password" not in str(event.details) for event in events)
    assert events[0].remote_addr == "127.0.0.1"
