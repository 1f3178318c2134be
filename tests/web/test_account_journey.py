"""The whole account life cycle through the HTML forms, with mail read from a real SMTP server."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from osnova.extensions import db
from osnova.models import AuditEvent, User
from tests.support import factories
from tests.support.clients import log_in, log_out, post_form
from tests.support.factories import UserFactory
from tests.support.mail import SmtpSink

PASSWORD = "plum orchard at dusk 42"
NEW_PASSWORD = "quiet harbour lanterns 7"


def add_user(app: Flask, **values: object) -> None:
    with app.app_context():
        factories.bind(db.session)
        UserFactory(**values)


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Flask, cookie_value: str, path: str = "/account") -> str | None:
    """Request ``path`` with only a copied session cookie; return where it redirects."""
    stranger = app.test_client()
    stranger.set_cookie("session", cookie_value)
    response = stranger.get(path)
    return response.headers.get("Location") if response.status_code == 302 else None


def test_register_verify_logout_login_change_password_then_old_cookie_is_dead(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    client = app.test_client()

    registered = post_form(
        client,
        "/register",
        {
            "username": "Olena",
            "email": "Olena@Example.org",
            "full_name": "Olena K",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    assert registered.status_code == 302
    assert smtp_sink.messages[-1]["To"] == "olena@example.org"

    verified = client.get(smtp_sink.last_link("/email/verify/"))
    assert verified.status_code == 302
    assert verified.headers["Location"].endswith("/login")
    assert client.get("/account").status_code == 302  # confirming signed no one in

    assert log_in(client, "olena@example.org", PASSWORD).status_code == 302
    account = client.get("/account")
    assert account.status_code == 200
    assert "olena@example.org" in account.text
    assert "confirmed" in account.text

    assert log_out(client).status_code == 302
    assert client.get("/account").status_code == 302

    assert log_in(client, "olena@example.org", PASSWORD).status_code == 302
    before_change = session_cookie(client)
    changed = post_form(
        client,
        "/account/password",
        {
            "current_password": PASSWORD,
            "new_password": NEW_PASSWORD,
            "new_password_confirm": NEW_PASSWORD,
        },
        form_page="/account",
    )
    assert changed.status_code == 302
    assert client.get("/account").status_code == 200  # this browser stays signed in

    location = replay(app, before_change)
    assert location is not None
    assert location.startswith("/login")

    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"account.register", "email.verify", "logout", "login.success", "password.change"} <= (
        actions
    )


def test_a_cookie_replayed_after_logout_no_longer_authenticates(
    app: Flask, client: FlaskClient
) -> None:
    UserFactory(username="taras")
    log_in(client, "taras")
    cookie = session_cookie(client)
    assert replay(app, cookie) is None  # still valid while signed in
    log_out(client)
    location = replay(app, cookie)
    assert location is not None
    assert location.startswith("/login")


def test_verification_link_works_once(make_app: Callable[..., Flask], smtp_sink: SmtpSink) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    client = app.test_client()
    post_form(
        client,
        "/register",
        {
            "username": "maria",
            "email": "maria@example.org",
            "password": PASSWORD,
            "password_confirm": PASSWORD,
        },
    )
    link = smtp_sink.last_link("/email/verify/")
    fresh = app.test_client()
    assert fresh.get(link).status_code == 302
    assert fresh.get("/account").status_code == 302  # a fresh client stays signed out
    again = app.test_client().get(link)
    assert again.status_code == 404
    assert "invalid or has expired" in again.text


def test_password_reset_link_is_single_use_and_signs_out_everywhere(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email="ivan@example.org")
    other_device = app.test_client()
    log_in(other_device, "ivan")
    assert other_device.get("/account").status_code == 200

    client = app.test_client()
    answer = post_form(client, "/password/forgot", {"email": "IVAN@example.org"})
    assert answer.status_code == 302
    link = smtp_sink.last_link("/password/reset/")
    opened = client.get(link)  # the token leaves the address at once
    assert (opened.status_code, opened.location) == (302, "/password/reset")
    reset = post_form(
        client, "/password/reset", {"password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD}
    )
    assert reset.status_code == 302

    assert other_device.get("/account").status_code == 302  # signed out by the reset
    assert log_in(client, "ivan", NEW_PASSWORD).status_code == 302
    assert app.test_client().get(link).status_code == 404  # used: the link is dead


def test_forgot_password_answers_the_same_for_unknown_addresses(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email="ivan@example.org")
    known = post_form(app.test_client(), "/password/forgot", {"email": "ivan@example.org"})
    unknown = post_form(app.test_client(), "/password/forgot", {"email": "nobody@example.org"})
    assert (known.status_code, known.location) == (unknown.status_code, unknown.location)
    assert len(smtp_sink.messages) == 1


def test_registering_a_taken_email_looks_like_success_and_mails_the_owner(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email="ivan@example.org")

    def register(username: str, email: str) -> tuple[int, str | None]:
        response = post_form(
            app.test_client(),
            "/register",
            {
                "username": username,
                "email": email,
                "password": PASSWORD,
                "password_confirm": PASSWORD,
            },
        )
        return response.status_code, response.location

    assert register("newcomer", "new@example.org") == register("other", "IVAN@example.org")
    assert "already has one" in smtp_sink.messages[-1].get_content()
    with app.app_context():
        usernames = set(db.session.scalars(select(User.username)))
    assert usernames == {"ivan", "newcomer"}
