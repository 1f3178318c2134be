"""Security headers on every page, and the trusted-hosts gate."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from osnova.config import Environment
from tests.support.clients import log_in
from tests.support.environment import TEST_SECRET_KEY
from tests.support.factories import UserFactory
from tests.support.routes import admin_urls

PUBLIC_PAGES = [
    "/",
    "/login",
    "/register",
    "/password/forgot",
    "/user/olena",
    "/no-such-page",
    "/static/css/site.css",
    "/healthz",
]
SIGNED_IN_PAGES = ["/", "/account", "/admin/users", "/user/olena"]


def assert_security_headers(response: TestResponse) -> None:
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_public_pages_carry_the_security_headers(client: FlaskClient) -> None:
    UserFactory(username="olena")
    for path in PUBLIC_PAGES:
        response = client.get(path)
        assert_security_headers(response)
        assert "no-store" not in response.headers.get("Cache-Control", ""), path
        response.close()


def test_pages_of_a_signed_in_user_are_not_cached(client: FlaskClient) -> None:
    UserFactory(username="olena", role="admin")
    log_in(client, "olena")
    for path in SIGNED_IN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_every_admin_page_carries_the_security_headers(app: Flask, client: FlaskClient) -> None:
    """Walked from the URL map: a console page added later is checked without being listed."""
    UserFactory(username="boss", role="admin")
    log_in(client, "boss")
    pages = [url for _, method, url in admin_urls(app) if method == "GET"]
    assert "/admin/users/1/delete" in pages
    for path in pages:
        response = client.get(path)
        response.get_data()  # a download streams: read it where it was made
        assert response.status_code in (200, 404), path
        assert_security_headers(response)
        assert response.headers["Cache-Control"] == "no-store", path


PRODUCTION: dict[str, object] = {
    "env": Environment.PRODUCTION,
    "secret_key": TEST_SECRET_KEY * 2,
    "allowed_hosts": ["localhost"],
    "base_url": "https://localhost",
}


def test_hsts_is_sent_in_production_only(make_app: Callable[..., Flask]) -> None:
    production = make_app(**PRODUCTION)
    hsts = production.test_client().get("/healthz").headers["Strict-Transport-Security"]
    assert int(hsts.split("max-age=")[1].split(";")[0]) >= 365 * 24 * 3600
    assert "Strict-Transport-Security" not in make_app().test_client().get("/").headers


def test_production_cookies_are_secure_httponly_and_lax(make_app: Callable[..., Flask]) -> None:
    app = make_app(**PRODUCTION)
    response = app.test_client().get("/login")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


@pytest.mark.parametrize("host", ["evil.example", "example.org.evil.example"])
def test_unknown_hosts_are_refused_when_allowed_hosts_are_set(
    make_app: Callable[..., Flask], host: str
) -> None:
    client = make_app(allowed_hosts=["example.org"]).test_client()
    assert client.get("/", headers={"Host": host}).status_code == 400
    assert client.get("/", headers={"Host": "example.org"}).status_code == 200


def test_rate_limit_headers_come_with_limited_writes_only(client: FlaskClient) -> None:
    """Every limit is on a write: a sign-up, even a refused one, says how many are left;
    a read of the same endpoint's neighbours says nothing about limits."""
    written = client.post("/api/v1/users", json={})
    read = client.get("/api/v1/items")

    assert written.status_code == 422
    assert int(written.headers["X-RateLimit-Limit"]) > 0
    assert int(written.headers["X-RateLimit-Remaining"]) >= 0
    assert read.status_code == 200
    assert not [name for name, _ in read.headers if name.lower().startswith("x-ratelimit")]
