"""A browser that signed in before keeps signing in while strangers lock the account."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient

from osnova.config import Environment
from tests.support.clients import CSRF_PATTERN, log_in, log_out
from tests.support.environment import TEST_SECRET_KEY
from tests.support.factories import DEFAULT_PASSWORD, UserFactory
from tests.web.test_account_journey import add_user

WRONG = "not the right password at all"
DEVICE = "device"


def _signed_in_before(app: Flask, username: str = "olena") -> FlaskClient:
    """A browser that signed in to ``username`` and out again: it keeps its device cookie."""
    browser = app.test_client()
    assert log_in(browser, username).status_code == 302
    log_out(browser)
    assert browser.get_cookie(DEVICE) is not None
    return browser


def _lock_out_strangers(app: Flask, login: str = "olena") -> FlaskClient:
    stranger = app.test_client()
    for _ in range(10):
        assert log_in(stranger, login, WRONG).status_code == 200
    assert log_in(stranger, login).status_code == 429  # the right password waits too
    return stranger


def test_a_known_browser_signs_in_while_the_account_is_locked_for_everyone_else(
    app: Flask,
) -> None:
    UserFactory(username="olena")
    owner = _signed_in_before(app)
    stranger = _lock_out_strangers(app)

    assert log_in(owner, "olena").status_code == 302
    assert log_in(stranger, "olena").status_code == 429
    assert log_in(app.test_client(), "olena").status_code == 429  # any new browser too


def test_a_known_browser_has_a_lockout_of_its_own(app: Flask) -> None:
    UserFactory(username="olena")
    owner = _signed_in_before(app)
    for _ in range(10):
        assert log_in(owner, "olena", WRONG).status_code == 200
    # Its own count is used up: it is a stranger now, and strangers still have theirs.
    assert log_in(owner, "olena", WRONG).status_code == 200
    assert log_in(owner, "olena").status_code == 302  # a success makes it known again

    other = _signed_in_before(app)
    _lock_out_strangers(app)
    for _ in range(10):
        assert log_in(other, "olena", WRONG).status_code == 200
    assert log_in(other, "olena").status_code == 429  # both its counts are used up


def test_a_cookie_of_another_account_or_a_forged_one_counts_as_a_stranger(app: Flask) -> None:
    UserFactory(username="olena")
    UserFactory(username="taras")
    tarass_browser = _signed_in_before(app, "taras")
    forger = _signed_in_before(app)
    cookie = forger.get_cookie(DEVICE)
    assert cookie is not None
    username, nonce, signature = cookie.value.split(":")
    forger.set_cookie(DEVICE, f"{username}:{nonce}x:{signature}")
    _lock_out_strangers(app)

    assert log_in(tarass_browser, "olena").status_code == 429
    assert log_in(forger, "olena").status_code == 429


def test_the_token_endpoint_counts_every_caller_as_a_stranger(app: Flask) -> None:
    UserFactory(username="olena")
    owner = _signed_in_before(app)
    _lock_out_strangers(app)
    body = {"username": "olena", "password": DEFAULT_PASSWORD}
    assert owner.post("/api/v1/auth/tokens", json=body).status_code == 429
    assert log_in(owner, "olena").status_code == 302


def test_each_sign_in_gives_a_new_device_cookie_that_scripts_cannot_read(app: Flask) -> None:
    UserFactory(username="olena")
    browser = app.test_client()
    first = log_in(browser, "olena")
    log_out(browser)
    second = log_in(browser, "olena")
    cookies = [
        _device_set_cookie(response.headers.getlist("Set-Cookie")) for response in (first, second)
    ]
    assert cookies[0].split(";")[0] != cookies[1].split(";")[0]
    attributes = {part.strip().split("=")[0] for part in cookies[1].split(";")[1:]}
    assert {"HttpOnly", "SameSite", "Path", "Max-Age"} <= attributes
    assert "SameSite=Lax" in cookies[1]
    assert "Secure" not in attributes  # plain HTTP outside production
    assert "olena:" in cookies[1]


def test_production_device_cookies_are_secure_and_host_only(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(
        env=Environment.PRODUCTION,
        secret_key=TEST_SECRET_KEY * 2,
        allowed_hosts=["localhost"],
        base_url="https://localhost",
    )
    add_user(app, username="olena")
    browser = app.test_client()
    site = "https://localhost"
    match = CSRF_PATTERN.search(browser.get("/login", base_url=site).text)
    assert match is not None
    response = browser.post(
        "/login",
        base_url=site,
        data={"csrf_token": match.group(1), "login": "olena", "password": DEFAULT_PASSWORD},
        headers={"Referer": f"{site}/login"},
    )
    assert response.status_code == 302
    cookie = _device_set_cookie(response.headers.getlist("Set-Cookie"), "__Host-device")
    assert "Secure" in cookie
    assert "Domain" not in cookie
    assert "Path=/" in cookie


def _device_set_cookie(headers: list[str], name: str = DEVICE) -> str:
    matches = [header for header in headers if header.startswith(f"{name}=")]
    assert len(matches) == 1, headers
    return matches[0]
