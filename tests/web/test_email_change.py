"""Changing an email through the HTML pages, with mail read from a real SMTP server."""

from __future__ import annotations

import time
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.test import TestResponse

from osnova.extensions import db
from osnova.models import User
from osnova.services.account_links import EMAIL_CHANGE_SALT
from tests.support.clients import log_in, post_form
from tests.support.environment import TEST_SECRET_KEY
from tests.support.factories import DEFAULT_PASSWORD
from tests.support.mail import SmtpSink, link_in
from tests.web.test_account_journey import add_user

OLD, NEW = "ivan@example.org", "ivan.new@example.org"


def signed_in(app: Flask, username: str = "ivan") -> FlaskClient:
    client = app.test_client()
    assert log_in(client, username).status_code == 302
    return client


def ask_for(client: FlaskClient, email: str, password: str = DEFAULT_PASSWORD) -> TestResponse:
    return post_form(
        client,
        "/account/email",
        {"email": email, "current_password": password},
        form_page="/account",
    )


def emails_of(app: Flask, username: str) -> tuple[str, str | None]:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == username)).one()
        return user.email, user.pending_email


def id_of(app: Flask, username: str) -> int:
    with app.app_context():
        user_id = db.session.scalar(select(User.id).where(User.username == username))
        assert user_id is not None
        return user_id


def backdated(link: str, hours: float) -> str:
    """The same link, as if it had been mailed ``hours`` ago."""

    class Earlier(TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time() - hours * 3600)

    token = link.rsplit("/", 1)[1]
    _, payload = URLSafeTimedSerializer(TEST_SECRET_KEY, salt=EMAIL_CHANGE_SALT).loads_unsafe(token)
    signer = URLSafeTimedSerializer(TEST_SECRET_KEY, salt=EMAIL_CHANGE_SALT, signer=Earlier)
    return link.rsplit("/", 1)[0] + "/" + signer.dumps(payload)


def test_the_form_needs_the_current_password(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email=OLD)
    client = signed_in(app)

    missing = post_form(client, "/account/email", {"email": NEW}, form_page="/account")
    wrong = ask_for(client, NEW, "not my password at all")
    assert missing.status_code == wrong.status_code == 422
    assert "The current password is not correct." in wrong.text
    assert emails_of(app, "ivan") == (OLD, None)
    assert smtp_sink.messages == []


def test_a_change_is_pending_on_the_account_page_until_the_link_is_followed(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email=OLD)
    client = signed_in(app)

    asked = ask_for(client, NEW)
    assert asked.status_code == 302
    page = client.get("/account").text
    assert f"pending: {NEW}" in page
    assert f"We sent a link to {NEW}" in page

    link = link_in(smtp_sink.to(NEW)[-1], "/email/confirm/")
    assert "Confirm the new address" in client.get(link).text
    assert post_form(client, link, {}).status_code == 302
    page = client.get("/account").text
    assert f"Your email address is now {NEW}." in page
    assert "pending:" not in page
    assert emails_of(app, "ivan") == (NEW, None)
    assert log_in(app.test_client(), NEW).status_code == 302  # signs in with the new address


def test_the_account_page_cancels_a_pending_change(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email=OLD)
    client = signed_in(app)
    ask_for(client, NEW)
    link = link_in(smtp_sink.to(NEW)[-1], "/email/confirm/")

    cancelled = post_form(client, "/account/email/cancel", {}, form_page="/account")
    assert cancelled.status_code == 302
    page = client.get("/account").text
    assert "The email change is cancelled." in page
    assert "pending:" not in page
    assert app.test_client().get(link).status_code == 404
    assert (
        client.get("/account").status_code == 200
    )  # withdrawing one's own request signs no one out


def test_a_change_asked_for_in_ukrainian_is_mailed_in_ukrainian(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email=OLD)
    client = signed_in(app)
    client.set_cookie("lang", "uk")
    ask_for(client, NEW)
    assert f"очікує підтвердження: {NEW}" in client.get("/account").text
    assert [m["Subject"] for m in smtp_sink.to(NEW)] == ["Підтвердьте нову адресу email"]
    assert [m["Subject"] for m in smtp_sink.to(OLD)] == [
        "Адресу email вашого облікового запису змінюють"
    ]
    page = client.get(link_in(smtp_sink.to(NEW)[-1], "/email/confirm/")).text
    assert "Підтвердити нову адресу" in page


def test_an_expired_link_is_refused(make_app: Callable[..., Flask], smtp_sink: SmtpSink) -> None:
    app = make_app(smtp_url=smtp_sink.url, email_change_link_hours=24)
    add_user(app, username="ivan", email=OLD)
    ask_for(signed_in(app), NEW)
    link = link_in(smtp_sink.to(NEW)[-1], "/email/confirm/")

    assert app.test_client().get(backdated(link, hours=23)).status_code == 200
    expired = app.test_client().get(backdated(link, hours=25))
    assert expired.status_code == 404
    assert "invalid or has expired" in expired.text
    assert emails_of(app, "ivan") == (OLD, NEW)


def test_the_cancel_page_signs_this_browser_out_too(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="ivan", email=OLD)
    client = signed_in(app)
    ask_for(client, NEW)
    cancel = link_in(smtp_sink.to(OLD)[-1], "/email/cancel/")

    answer = post_form(client, cancel, {})
    assert answer.headers["Location"] == "/login"
    page = client.get("/login").text
    assert "The email change is cancelled, and the account is signed out everywhere." in page
    assert client.get("/account").status_code == 302
    assert emails_of(app, "ivan") == (OLD, None)


def test_an_admin_changes_an_email_from_the_accounts_page_and_both_addresses_hear_of_it(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    add_user(app, username="boss", email="boss@example.org", role="admin")
    add_user(app, username="ivan", email=OLD)
    admin = signed_in(app, "boss")

    changed = post_form(
        admin, f"/admin/users/{id_of(app, 'ivan')}/email", {"email": NEW}, form_page="/admin/users"
    )
    assert changed.status_code == 302
    assert "both addresses were told" in admin.get("/admin/users").text
    assert emails_of(app, "ivan") == (NEW, None)
    assert [m["Subject"] for m in smtp_sink.to(OLD) + smtp_sink.to(NEW)] == [
        "Your email address was changed by an administrator"
    ] * 2

    own = post_form(
        admin,
        f"/admin/users/{id_of(app, 'boss')}/email",
        {"email": "boss.elsewhere@example.org"},
        form_page="/admin/users",
    )
    assert own.status_code == 302
    assert "it needs your password" in admin.get("/admin/users").text
    assert emails_of(app, "boss") == ("boss@example.org", None)
