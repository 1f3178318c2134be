"""Failed sign-ins are limited per account, in memory or shared through Redis."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.clients import CSRF_PATTERN, log_in
from tests.support.environment import require_env
from tests.support.factories import UserFactory
from tests.support.live import served_osnova
from tests.web.test_account_journey import add_user

WRONG = "not the right password at all"


def test_the_eleventh_wrong_password_within_15_minutes_gets_429(client: FlaskClient) -> None:
    UserFactory(username="olena", email="olena@example.org")
    for attempt in range(10):
        login = "olena" if attempt % 2 else "OLENA@example.org"  # username or email: one account
        response = log_in(client, login, WRONG)
        assert response.status_code == 200
        assert "Invalid username, email or password." in response.text
    blocked = log_in(client, "olena")  # even the right password waits now
    assert blocked.status_code == 429
    assert int(blocked.headers["Retry-After"]) > 0
    assert int(blocked.headers["Retry-After"]) <= 15 * 60


def test_other_accounts_are_not_blocked_by_someone_elses_failures(client: FlaskClient) -> None:
    UserFactory(username="olena")
    UserFactory(username="taras")
    for _ in range(10):
        log_in(client, "olena", WRONG)
    assert log_in(client, "taras").status_code == 302


class RemoteBrowser:
    """A cookie-keeping HTTP client for a real server on loopback."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def log_in(self, login: str, password: str) -> int:
        page = self.opener.open(f"{self.base_url}/login", timeout=10).read().decode()
        match = CSRF_PATTERN.search(page)
        assert match is not None
        body = urllib.parse.urlencode(
            {"csrf_token": match.group(1), "login": login, "password": password}
        ).encode()
        try:
            with self.opener.open(f"{self.base_url}/login", data=body, timeout=10) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


@pytest.fixture
def redis_prefix() -> str:
    return f"osnova-test-{uuid.uuid4().hex}"


@pytest.fixture
def second_instance(database_url: str, tmp_path: Path, redis_prefix: str) -> Iterator[str]:
    """Another osnova, in its own gunicorn process, on the same database and Redis."""
    redis_url = require_env("OSNOVA_TEST_REDIS_URL")
    with served_osnova(
        database_url,
        tmp_path / "second",
        workers=1,
        OSNOVA_REDIS_URL=redis_url,
        OSNOVA_RATE_LIMIT_KEY_PREFIX=redis_prefix,
    ) as base_url:
        yield base_url


def test_two_instances_share_the_failure_count_through_redis(
    make_app: Callable[..., Flask], second_instance: str, redis_prefix: str
) -> None:
    redis_url = require_env("OSNOVA_TEST_REDIS_URL")
    app = make_app(redis_url=redis_url, rate_limit_key_prefix=redis_prefix)
    add_user(app, username="olena")
    local = app.test_client()
    remote = RemoteBrowser(second_instance)
    for _ in range(5):
        assert log_in(local, "olena", WRONG).status_code == 200
    for _ in range(5):
        assert remote.log_in("olena", WRONG) == 200
    assert remote.log_in("olena", "correct horse battery staple") == 429
    assert log_in(local, "olena").status_code == 429
    assert re.fullmatch(r"\d+", log_in(local, "olena").headers["Retry-After"])
