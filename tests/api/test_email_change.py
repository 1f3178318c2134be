"""Changing an email over the API: a stolen token alone cannot move an account to another
address, the new address must confirm, and the old one can cancel and end every session."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from osnova.extensions import db
from osnova.models import AuditEvent, User
from tests.support import factories
from tests.support.clients import (
    assert_problem,
    bearer,
    field_errors,
    log_in,
    post_form,
    token_for,
)
from tests.support.environment import free_port
from tests.support.factories import DEFAULT_PASSWORD, UserFactory
from tests.support.mail import SmtpSink, link_in

OLD, NEW = "olena@example.org", "olena.new@example.org"
ATTACKER = "mallory@evil.example"


@dataclass(frozen=True)
class Account:
    id: int
    token: str


def add_account(app: Flask, **values: object) -> Account:
    with app.app_context():
        factories.bind(db.session)
        user = UserFactory(**values)
        return Account(user.id, token_for(user))


def stored(app: Flask, user_id: int) -> User:
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        db.session.expunge(user)
        return user


def audit_actions(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def me(client: FlaskClient, token: str) -> dict[str, object]:
    response = client.get("/api/v1/users/me", headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.get_json()
    assert isinstance(body, dict)
    return body


def ask_for(client: FlaskClient, token: str, email: str, password: str | None) -> dict[str, object]:
    body: dict[str, object] = {"email": email}
    if password is not None:
        body["current_password"] = password
    response = client.patch("/api/v1/users/me", json=body, headers=bearer(token))
    assert response.status_code == 200, response.text
    answer = response.get_json()
    assert isinstance(answer, dict)
    return answer


def follow(client: FlaskClient, path: str) -> int:
    """Open a mailed link's page and press its button, as its reader would."""
    return post_form(client, path, {}).status_code


def test_a_stolen_token_without_the_password_cannot_start_a_takeover(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    olena = add_account(app, username="olena", email=OLD, full_name="Olena")
    client = app.test_client()

    for body in (
        {"email": ATTACKER},
        {"email": ATTACKER, "current_password": "a guess at the password"},
        {"email": ATTACKER, "current_password": "", "full_name": "Mallory"},
    ):
        refused = client.patch("/api/v1/users/me", json=body, headers=bearer(olena.token))
        assert "current_password" in field_errors(assert_problem(refused, 422))

    account = me(client, olena.token)
    assert (account["email"], account["pending_email"], account["full_name"]) == (
        OLD,
        None,
        "Olena",
    )
    # The chain's next step finds no account at the attacker's address.
    assert post_form(client, "/password/forgot", {"email": ATTACKER}).status_code == 302
    assert smtp_sink.messages == []
    assert "email.change.request" not in audit_actions(app)


def test_the_new_address_takes_effect_once_its_link_is_followed_and_the_link_works_once(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    olena = add_account(app, username="olena", email=OLD)
    client = app.test_client()

    answer = ask_for(client, olena.token, NEW, DEFAULT_PASSWORD)
    assert (answer["email"], answer["pending_email"]) == (OLD, NEW)
    assert stored(app, olena.id).email == OLD

    (notice,) = smtp_sink.to(OLD)
    assert notice["Subject"] == "Your email address is being changed"
    assert NEW in notice.get_content()
    link_in(notice, "/email/cancel/")
    (confirmation,) = smtp_sink.to(NEW)
    assert confirmation["Subject"] == "Confirm your new email address"
    link = link_in(confirmation, "/email/confirm/")

    reader = app.test_client()
    page = reader.get(link)
    assert page.status_code == 200
    assert NEW in page.text
    assert stored(app, olena.id).email == OLD  # opening the page changes nothing

    assert follow(reader, link) == 302
    account = me(client, olena.token)
    assert (account["email"], account["pending_email"]) == (NEW, None)
    assert account["email_verified_at"] is not None

    again = app.test_client().get(link)
    assert again.status_code == 404
    assert "invalid or has expired" in again.text
    assert audit_actions(app)[-2:] == ["email.change.request", "email.change.confirm"]


def test_the_old_address_cancels_the_change_and_ends_every_session_and_token(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    olena = add_account(app, username="olena", email=OLD)
    browser = app.test_client()
    log_in(browser, "olena")
    assert browser.get("/account").status_code == 200
    client = app.test_client()
    ask_for(client, olena.token, ATTACKER, DEFAULT_PASSWORD)
    confirm_link = link_in(smtp_sink.to(ATTACKER)[-1], "/email/confirm/")
    cancel_link = link_in(smtp_sink.to(OLD)[-1], "/email/cancel/")

    owner = app.test_client()
    page = owner.get(cancel_link)
    assert page.status_code == 200
    assert ATTACKER in page.text
    assert me(client, olena.token)["pending_email"] == ATTACKER  # the page alone cancels nothing
    assert follow(owner, cancel_link) == 302

    assert browser.get("/account").headers["Location"].startswith("/login")
    assert_problem(client.get("/api/v1/users/me", headers=bearer(olena.token)), 401)
    user = stored(app, olena.id)
    assert (user.email, user.pending_email) == (OLD, None)
    assert app.test_client().get(confirm_link).status_code == 404
    assert app.test_client().get(cancel_link).status_code == 404
    assert audit_actions(app)[-1] == "email.change.cancel"


def test_the_old_address_can_undo_a_change_already_confirmed(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    olena = add_account(app, username="olena", email=OLD)
    client = app.test_client()
    ask_for(client, olena.token, ATTACKER, DEFAULT_PASSWORD)
    assert follow(app.test_client(), link_in(smtp_sink.to(ATTACKER)[-1], "/email/confirm/")) == 302
    assert stored(app, olena.id).email == ATTACKER

    assert follow(app.test_client(), link_in(smtp_sink.to(OLD)[-1], "/email/cancel/")) == 302

    assert stored(app, olena.id).email == OLD
    assert_problem(client.get("/api/v1/users/me", headers=bearer(olena.token)), 401)
    # A reset link now goes to the owner's address, not the attacker's.
    post_form(app.test_client(), "/password/forgot", {"email": ATTACKER})
    post_form(app.test_client(), "/password/forgot", {"email": OLD})
    assert smtp_sink.messages[-1]["To"] == OLD
    assert smtp_sink.messages[-1]["Subject"] == "Reset your password"
    assert len(smtp_sink.to(ATTACKER)) == 1


def test_asking_for_another_accounts_address_looks_the_same_and_sends_no_link(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    olena = add_account(app, username="olena", email=OLD)
    add_account(app, username="taras", email="taras@example.org")
    client = app.test_client()

    free = ask_for(client, olena.token, "free@example.org", DEFAULT_PASSWORD)
    taken = ask_for(client, olena.token, "taras@example.org", DEFAULT_PASSWORD)
    assert set(free) == set(taken)
    assert taken["pending_email"] == "taras@example.org"

    (to_taras,) = smtp_sink.to("taras@example.org")
    assert "already has an account of its own" in to_taras.get_content()
    assert "/email/confirm/" not in to_taras.get_content()
    assert len(smtp_sink.to(OLD)) == 2  # told of both requests
    # The first request's link died when the second replaced it.
    first = link_in(smtp_sink.to("free@example.org")[-1], "/email/confirm/")
    assert app.test_client().get(first).status_code == 404


def test_an_admins_change_applies_at_once_and_tells_both_addresses(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    boss = add_account(app, username="boss", email="boss@example.org", role="admin")
    olena = add_account(app, username="olena", email=OLD)
    client = app.test_client()

    response = client.patch("/api/v1/users/olena", json={"email": NEW}, headers=bearer(boss.token))
    assert response.status_code == 200
    assert (response.get_json()["email"], response.get_json()["pending_email"]) == (NEW, None)

    (to_old,) = smtp_sink.to(OLD)
    (to_new,) = smtp_sink.to(NEW)
    for message in (to_old, to_new):
        assert message["Subject"] == "Your email address was changed by an administrator"
    assert NEW in to_old.get_content()
    assert "/email/verify/" not in to_old.get_content()
    verified = app.test_client().get(link_in(to_new, "/email/verify/"))
    assert verified.status_code == 302
    assert stored(app, olena.id).email_verified_at is not None
    assert me(client, olena.token)["email"] == NEW  # the account's own sessions go on
    with app.app_context():
        event = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "email.change")
        ).one()
        assert (event.actor_id, event.target) == (boss.id, f"user:{olena.id}")


def test_an_admin_changes_their_own_email_only_with_the_password(
    make_app: Callable[..., Flask], smtp_sink: SmtpSink
) -> None:
    app = make_app(smtp_url=smtp_sink.url)
    boss = add_account(app, username="boss", email="boss@example.org", role="admin")
    client = app.test_client()
    refused = client.patch(
        "/api/v1/users/boss", json={"email": ATTACKER}, headers=bearer(boss.token)
    )
    assert "email" in field_errors(assert_problem(refused, 422))
    assert me(client, boss.token)["email"] == "boss@example.org"
    assert smtp_sink.messages == []


def test_wrong_passwords_count_as_failed_sign_ins(make_app: Callable[..., Flask]) -> None:
    app = make_app(login_failures_per_account="3 per 15 minutes")
    olena = add_account(app, username="olena", email=OLD)
    client = app.test_client()
    wrong = {"email": ATTACKER, "current_password": "not the password"}
    for _ in range(3):
        assert_problem(
            client.patch("/api/v1/users/me", json=wrong, headers=bearer(olena.token)), 422
        )

    right = {"email": NEW, "current_password": DEFAULT_PASSWORD}
    throttled = client.patch("/api/v1/users/me", json=right, headers=bearer(olena.token))
    assert_problem(throttled, 429)
    assert int(throttled.headers["Retry-After"]) > 0
    assert me(client, olena.token)["pending_email"] is None
    assert log_in(app.test_client(), "olena").status_code == 429  # the sign-in form too
    renamed = client.patch(
        "/api/v1/users/me", json={"full_name": "Olena K."}, headers=bearer(olena.token)
    )
    assert renamed.status_code == 200  # what needs no password is not held up


def test_with_the_mail_server_down_an_email_change_answers_as_usual(
    make_app: Callable[..., Flask],
) -> None:
    """The notices are jobs: a mail server that is down costs their retries, never a 5xx."""
    app = make_app(smtp_url=f"smtp://127.0.0.1:{free_port()}")  # nothing listens there
    olena = add_account(app, username="olena", email=OLD)
    answer = ask_for(app.test_client(), olena.token, NEW, DEFAULT_PASSWORD)
    assert answer["pending_email"] == NEW
    assert stored(app, olena.id).email == OLD
