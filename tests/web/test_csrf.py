"""Every POST form refuses a missing or foreign CSRF token and changes nothing."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from osnova.config import Environment
from osnova.models import Item, RememberedDevice, User
from tests.support.clients import csrf_token, log_in
from tests.support.environment import TEST_SECRET_KEY
from tests.support.factories import ItemFactory, UserFactory

# The language switch sets only a display preference; see web/pages.switch_language.
CSRF_EXEMPT = {"/language"}


def post_routes(app: Flask) -> set[str]:
    """The HTML forms' POST routes (the JSON API's CSRF rules are tested in tests/api)."""
    return {
        rule.rule
        for rule in app.url_map.iter_rules()
        if "POST" in (rule.methods or set())
        and not rule.rule.startswith("/api/")
        and rule.rule not in CSRF_EXEMPT
    }


def form_posts(admin_id: int, target_id: int, item_id: int = 0) -> dict[str, dict[str, str]]:
    """Each POST route with the data a real form would send (CSRF token aside)."""
    strong = "a very long new password 9"
    return {
        "/register": {
            "username": "mallory",
            "email": "m@example.org",
            "password": strong,
            "password_confirm": strong,
        },
        "/login": {"login": "boss", "password": "correct horse battery staple"},
        "/logout": {},
        "/password/forgot": {"email": "boss@example.org"},
        "/password/reset": {"password": strong, "password_confirm": strong},
        "/account/profile": {"full_name": "Changed Name"},
        "/account/email": {
            "email": "changed@example.org",
            "current_password": "correct horse battery staple",
        },
        "/account/email/cancel": {},
        "/email/confirm/<token>": {},
        "/email/cancel/<token>": {},
        "/account/password": {
            "current_password": "correct horse battery staple",
            "new_password": strong,
            "new_password_confirm": strong,
        },
        "/account/verify-email": {},
        "/admin/users/<id:user_id>/role": {"role": "admin"},
        "/admin/users/<id:user_id>/email": {"email": "taken-over@example.org"},
        "/admin/users/<id:user_id>/active": {"active": "0"},
        "/admin/users/<id:user_id>/send-reset": {},
        "/admin/users/new": {
            "username": "planted",
            "email": "planted@example.org",
            "full_name": "",
            "role": "admin",
        },
        "/admin/users/<id:user_id>/delete": {"next": "/admin/users"},
        "/admin/users/bulk": {"action": "deactivate", "user": str(target_id), "confirmed": "yes"},
        "/admin/transfer": {"kind": "users", "file_format": "csv", "on_conflict": "update"},
        "/admin/transfer/confirm": {"ticket": "not-a-ticket"},
        "/items/new": {"title": "Smuggled", "description": "", "is_public": "y"},
        "/items/<id:item_id>/edit": {"title": "Defaced", "description": "x"},
        "/items/<id:item_id>/delete": {},
        "/account/tokens": {"name": "sneaky"},
        "/account/tokens/<id:token_id>/revoke": {},
        "/admin/items/<id:item_id>/unpublish": {"next": "/admin/items"},
        "/admin/items/unpublish": {"item": str(item_id), "confirmed": "yes"},
        "/admin/items/<id:item_id>/delete": {"next": "/admin/items"},
        "/admin/tokens/<id:token_id>/revoke": {},
        "/admin/tokens/users/<id:user_id>/revoke-all": {},
        "/account/devices/<id:device_id>/forget": {},
        "/account/devices/forget": {},
    }


def concrete(rule: str, target_id: int, item_id: int) -> str:
    return (
        rule.replace("<id:user_id>", str(target_id))
        .replace("<id:item_id>", str(item_id))
        .replace("<token>", "not-a-token")
        .replace("<id:token_id>", "1")
        .replace("<id:device_id>", "1")
    )


def snapshot(session: Session) -> list[tuple[object, ...]]:
    session.expire_all()
    rows = session.execute(
        select(
            User.username,
            User.email,
            User.pending_email,
            User.full_name,
            User.role,
            User.is_active,
            User.password_hash,
            User.session_version,
        ).order_by(User.id)
    )
    items = session.execute(
        select(Item.id, Item.title, Item.description, Item.is_public).order_by(Item.id)
    )
    devices = session.execute(select(RememberedDevice.id).order_by(RememberedDevice.id))
    return [*map(tuple, rows), *map(tuple, items), *map(tuple, devices)]


def test_every_post_form_is_covered_by_this_test(app: Flask) -> None:
    assert post_routes(app) == set(form_posts(0, 0))


def test_posts_without_a_token_are_refused_and_change_nothing(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    admin = UserFactory(username="boss", email="boss@example.org", role="admin")
    target = UserFactory(username="target")
    item = ItemFactory(owner=target, title="Kept", is_public=True)
    log_in(client, "boss", remember="y")
    before = snapshot(session)
    for rule, data in form_posts(admin.id, target.id, item.id).items():
        response = client.post(concrete(rule, target.id, item.id), data=data)
        assert response.status_code == 403, rule
        assert "form expired" in response.text
    assert snapshot(session) == before
    assert client.get("/account").status_code == 200  # still signed in: logout was refused


def test_posts_with_another_sessions_token_are_refused(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    admin = UserFactory(username="boss", email="boss@example.org", role="admin")
    target = UserFactory(username="target")
    item = ItemFactory(owner=target, title="Kept", is_public=True)
    log_in(client, "boss", remember="y")
    foreign = csrf_token(app.test_client(), "/login")
    before = snapshot(session)
    for rule, data in form_posts(admin.id, target.id, item.id).items():
        response = client.post(
            concrete(rule, target.id, item.id), data={"csrf_token": foreign, **data}
        )
        assert response.status_code == 403, rule
    assert snapshot(session) == before


@pytest.mark.parametrize(
    "origin", ["https://evil.example", "null", "http://localhost.evil.example"]
)
def test_a_foreign_origin_is_refused_even_with_a_valid_token(
    client: FlaskClient, session: Session, origin: str
) -> None:
    UserFactory(username="boss", email="boss@example.org")
    log_in(client, "boss")
    token = csrf_token(client, "/account")
    refused = client.post(
        "/account/profile",
        data={"csrf_token": token, "full_name": "Changed"},
        headers={"Origin": origin},
    )
    assert refused.status_code == 403
    session.expire_all()
    assert session.scalar(select(User.full_name).where(User.username == "boss")) != "Changed"
    same_site = client.post(
        "/account/profile",
        data={"csrf_token": token, "full_name": "Changed"},
        headers={"Origin": "http://localhost"},
    )
    assert same_site.status_code == 302


def test_production_cookies_carry_the_host_prefix(make_app: Callable[..., Flask]) -> None:
    app = make_app(
        env=Environment.PRODUCTION,
        secret_key=TEST_SECRET_KEY * 2,
        allowed_hosts=["localhost"],
        base_url="https://localhost",
    )
    cookie = app.test_client().get("/login").headers["Set-Cookie"]
    assert cookie.startswith("__Host-session=")
    assert "Secure" in cookie
    assert "Domain" not in cookie
    assert "Path=/;" in cookie or cookie.endswith("Path=/")
