"""Where sign-in sends people, and how long a session lives."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.models import AuditEvent
from osnova.web.helpers import safe_next
from tests.support.clients import log_in
from tests.support.clock import ManualClock
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


def signed_in(client: FlaskClient) -> bool:
    return client.get("/account").status_code == 200


def test_a_session_ends_after_30_idle_minutes(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    app = make_app(clock=clock)
    add_user(app, username="olena")
    client = app.test_client()
    log_in(client, "olena")
    clock.advance(minutes=29)
    assert signed_in(client)
    clock.advance(minutes=29)  # 29 minutes after the last request: still within the limit
    assert signed_in(client)
    clock.advance(minutes=31)
    assert client.get("/account").location.startswith("/login")
    clock.advance(minutes=1)
    assert not signed_in(client)  # it does not come back


def test_an_active_session_still_ends_12_hours_after_sign_in(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    app = make_app(clock=clock)
    add_user(app, username="olena")
    client = app.test_client()
    log_in(client, "olena")
    for _ in range(35):  # a request every 20 minutes, for 11 h 40 min
        clock.advance(minutes=20)
        assert signed_in(client)
    clock.advance(minutes=21)
    assert not signed_in(client)


def test_the_limits_are_settings(make_app: Callable[..., Flask], clock: ManualClock) -> None:
    app = make_app(clock=clock, session_idle_minutes=5, session_lifetime_hours=1)
    add_user(app, username="olena")
    client = app.test_client()
    log_in(client, "olena")
    clock.advance(minutes=6)
    assert not signed_in(client)
    log_in(client, "olena")
    for _ in range(15):
        clock.advance(minutes=4)
        assert signed_in(client)
    clock.advance(minutes=4)
    assert not signed_in(client)


def test_without_keep_me_signed_in_an_ended_session_stays_ended(
    make_app: Callable[..., Flask], clock: ManualClock
) -> None:
    app = make_app(clock=clock)
    add_user(app, username="olena")
    client = app.test_client()
    log_in(client, "olena")
    assert client.get_cookie("remember_device") is None
    clock.advance(minutes=31)
    assert not signed_in(client)


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
