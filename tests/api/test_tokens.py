"""Bearer tokens: issued once, stored hashed, and refused once revoked, expired or forged."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from osnova.database import utcnow
from osnova.extensions import current_settings, db
from osnova.models import ApiToken, AuditEvent, User
from osnova.services import accounts
from tests.support.clients import assert_problem, bearer, csrf_token, log_in, token_for
from tests.support.factories import DEFAULT_PASSWORD, UserFactory


def ask_token(client: FlaskClient, login: str, password: str = DEFAULT_PASSWORD) -> str:
    response = client.post(
        "/api/v1/auth/tokens", json={"username": login, "password": password, "name": "laptop"}
    )
    assert response.status_code == 201, response.text
    body = response.get_json()
    assert body["token_type"] == "bearer"
    assert body["expires_at"]
    secret: str = body["token"]
    return secret


def me(client: FlaskClient, secret: str) -> int:
    return client.get("/api/v1/users/me", headers=bearer(secret)).status_code


def test_a_token_from_username_or_email_works_and_only_its_hash_is_stored(
    client: FlaskClient,
) -> None:
    UserFactory(username="olena", email="olena@example.org")
    by_name = ask_token(client, "olena")
    by_email = ask_token(client, "OLENA@example.org")
    assert by_name.startswith("osn_")
    assert len(by_name) >= 4 + 43
    assert me(client, by_name) == me(client, by_email) == 200
    stored = db.session.scalars(select(ApiToken.token_hash)).all()
    assert hashlib.sha256(by_name.encode()).hexdigest() in stored
    assert by_name not in stored


def test_token_expires_after_30_days_by_default(client: FlaskClient) -> None:
    UserFactory(username="olena")
    ask_token(client, "olena")
    token = db.session.scalar(select(ApiToken))
    assert token is not None
    assert token.expires_at is not None
    assert abs(token.expires_at - (utcnow() + timedelta(days=30))) < timedelta(minutes=1)


def test_a_wrong_password_gets_401_with_a_bearer_challenge(client: FlaskClient) -> None:
    UserFactory(username="olena")
    response = client.post(
        "/api/v1/auth/tokens", json={"username": "olena", "password": "not the password"}
    )
    assert_problem(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def challenge_of(client: FlaskClient, headers: dict[str, str]) -> str:
    response = client.get("/api/v1/users/me", headers=headers)
    assert_problem(response, 401)
    return response.headers["WWW-Authenticate"]


def test_missing_token_gets_401_with_www_authenticate_bearer(client: FlaskClient) -> None:
    assert challenge_of(client, {}).startswith("Bearer")


def test_tampered_token_gets_401(client: FlaskClient) -> None:
    secret = token_for(UserFactory())
    tampered = secret[:-2] + ("AA" if not secret.endswith("AA") else "BB")
    assert challenge_of(client, bearer(tampered)).startswith("Bearer")
    assert challenge_of(client, {"Authorization": "Basic b2xlbmE6eA=="}).startswith("Bearer")


def test_expired_token_gets_401(client: FlaskClient) -> None:
    secret = token_for(UserFactory())
    token = db.session.scalar(select(ApiToken))
    assert token is not None
    token.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert challenge_of(client, bearer(secret)).startswith("Bearer")


def test_revoked_token_gets_401_even_on_public_reads(client: FlaskClient) -> None:
    secret = token_for(UserFactory())
    assert client.delete("/api/v1/auth/tokens/current", headers=bearer(secret)).status_code == 204
    assert challenge_of(client, bearer(secret)).startswith("Bearer")
    assert_problem(client.get("/api/v1/items", headers=bearer(secret)), 401)


def test_password_change_revokes_tokens(client: FlaskClient) -> None:
    user = UserFactory()
    secret = token_for(user)
    accounts.change_password(
        session=db.session(),
        settings=current_settings(),
        user=user,
        current_password=DEFAULT_PASSWORD,
        new_password="an entirely new long passphrase",
        remote_addr=None,
    )
    db.session.commit()
    assert me(client, secret) == 401


def test_deactivation_revokes_tokens_and_reactivation_does_not_revive_them(
    client: FlaskClient,
) -> None:
    admin = UserFactory(username="boss", role="admin")
    UserFactory(username="olena")
    secret = token_for(db.session.scalar(select(User).where(User.username == "olena")))  # type: ignore[arg-type]
    admin_token = token_for(admin)
    off = client.patch(
        "/api/v1/users/olena", json={"is_active": False}, headers=bearer(admin_token)
    )
    assert off.status_code == 200
    assert off.get_json()["is_active"] is False
    assert me(client, secret) == 401
    client.patch("/api/v1/users/olena", json={"is_active": True}, headers=bearer(admin_token))
    assert me(client, secret) == 401


def test_a_role_change_counts_from_the_next_call(client: FlaskClient) -> None:
    admin = UserFactory(username="boss", role="admin")
    secret = token_for(admin)
    UserFactory(username="second", role="admin")
    assert client.get("/api/v1/users", headers=bearer(secret)).status_code == 200
    admin.role = "user"
    db.session.commit()
    assert_problem(client.get("/api/v1/users", headers=bearer(secret)), 403)


def test_creating_and_revoking_tokens_is_audited_and_last_use_recorded(
    client: FlaskClient,
) -> None:
    UserFactory(username="olena")
    secret = ask_token(client, "olena")
    assert me(client, secret) == 200
    token = db.session.scalar(select(ApiToken))
    assert token is not None
    assert token.last_used_at is not None
    client.delete("/api/v1/auth/tokens/current", headers=bearer(secret))
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert "token.create" in actions
    assert "token.revoke" in actions
    details = db.session.scalars(select(AuditEvent.details)).all()
    assert all(secret not in str(d) for d in details)


def test_a_signed_in_browser_may_read_but_must_send_the_csrf_token_to_write(
    client: FlaskClient,
) -> None:
    UserFactory(username="olena")
    log_in(client, "olena")
    assert client.get("/api/v1/users/me").status_code == 200
    assert_problem(client.post("/api/v1/items", json={"title": "No token"}), 403)
    token = csrf_token(client, "/account")
    created = client.post("/api/v1/items", json={"title": "Token"}, headers={"X-CSRFToken": token})
    assert created.status_code == 201


def test_bearer_calls_need_no_csrf_token_and_are_never_cached(client: FlaskClient) -> None:
    secret = token_for(UserFactory())
    response = client.post("/api/v1/items", json={"title": "Mine"}, headers=bearer(secret))
    assert response.status_code == 201
    assert client.get("/api/v1/users/me", headers=bearer(secret)).headers["Cache-Control"] == (
        "no-store"
    )


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [("https://app.example.org", True), ("https://evil.example", False), ("null", False)],
)
def test_cors_only_for_configured_origins(
    make_app: Callable[..., Flask], origin: str, allowed: bool
) -> None:
    client = make_app(cors_origins="https://app.example.org,null").test_client()
    response = client.get("/api/v1/items", headers={"Origin": origin})
    assert response.status_code == 200
    assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
    preflight = client.options(
        "/api/v1/items",
        headers={"Origin": origin, "Access-Control-Request-Method": "POST"},
    )
    assert ("Access-Control-Allow-Methods" in preflight.headers) is allowed


def test_cors_is_off_by_default(client: FlaskClient) -> None:
    response = client.get("/api/v1/items", headers={"Origin": "https://app.example.org"})
    assert "Access-Control-Allow-Origin" not in response.headers
