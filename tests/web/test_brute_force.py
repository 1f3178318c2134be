"""Failed sign-ins are limited per account, and every worker and server shares the count.

Without Redis the count is in the database, with Redis it is in Redis; either way a real
``osnova serve`` with several workers (or two servers) refuses the eleventh attempt, whichever
worker answers it. Each attempt comes from a stranger (no cookies) on a connection of its own,
and a burst of them runs at once, so the workers share them as a busy site's would.
"""

from __future__ import annotations

import http.cookiejar
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from osnova.extensions import db
from osnova.models import RateLimitCounter
from tests.support.clients import CSRF_PATTERN, log_in
from tests.support.environment import require_env
from tests.support.factories import DEFAULT_PASSWORD, UserFactory
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
    """A cookie-keeping HTTP client for a real server on loopback; one connection a request."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect()
        )

    def log_in(self, login: str, password: str, request_id: str = "") -> int:
        page = self.opener.open(f"{self.base_url}/login", timeout=60).read().decode()
        match = CSRF_PATTERN.search(page)
        assert match is not None
        body = urllib.parse.urlencode(
            {"csrf_token": match.group(1), "login": login, "password": password}
        ).encode()
        post = urllib.request.Request(
            f"{self.base_url}/login", data=body, headers={"X-Request-ID": request_id or "-"}
        )
        try:
            with self.opener.open(post, timeout=60) as response:
                return int(response.status)
        except urllib.error.HTTPError as error:
            return error.code


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def strangers_burst(base_urls: list[str], login: str, password: str, count: int) -> list[str]:
    """``count`` sign-ins at once, each a new browser, spread over ``base_urls``.

    Returns each answer's status with the request id it was sent with, as ``"<id> <status>"``.
    """
    tag = uuid.uuid4().hex[:8]

    def attempt(number: int) -> str:
        request_id = f"burst-{tag}-{number}"
        status = RemoteBrowser(base_urls[number % len(base_urls)]).log_in(
            login, password, request_id
        )
        return f"{request_id} {status}"

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(attempt, range(count)))


def answering_pids(log_folders: list[Path], answers: list[str]) -> set[int]:
    """The worker processes whose request log lines carry the request ids of ``answers``."""
    wanted = {answer.split()[0] for answer in answers}
    pids: set[int] = set()
    for folder in log_folders:
        for log_file in folder.glob("serve-*.log"):
            for line in log_file.read_text().splitlines():
                if not line.startswith("{"):
                    continue
                record = json.loads(line)
                if record.get("request_id") in wanted and "pid" in record:
                    pids.add(int(record["pid"]))
    return pids


def assert_the_eleventh_is_refused(
    base_urls: list[str], log_folders: list[Path], record: Callable[[str, object], None]
) -> None:
    # Sixteen wrong passwords at once: exactly ten are checked, the other six wait.
    answers = strangers_burst(base_urls, "olena", WRONG, 16)
    statuses = sorted(answer.split()[1] for answer in answers)
    record("worker pids that answered", sorted(answering_pids(log_folders, answers)))
    assert statuses == ["200"] * 10 + ["429"] * 6, answers
    # Every later attempt is refused too, the right password included, wherever it lands.
    later = strangers_burst(base_urls, "olena", DEFAULT_PASSWORD, 4)
    assert [answer.split()[1] for answer in later] == ["429"] * 4, later


def test_workers_of_one_server_share_the_count_through_the_database(
    database_url: str,
    tmp_path: Path,
    make_app: Callable[..., Flask],
    record_property: Callable[[str, object], None],
) -> None:
    app = make_app()
    add_user(app, username="olena")
    folder = tmp_path / "serve"
    with served_osnova(database_url, folder, workers=4) as base_url:
        assert_the_eleventh_is_refused([base_url], [folder], record_property)
    assert stored_counters(app) > 0


@pytest.fixture
def redis_prefix() -> str:
    return f"osnova-test-{uuid.uuid4().hex}"


def test_two_servers_share_the_count_through_redis(
    database_url: str,
    tmp_path: Path,
    make_app: Callable[..., Flask],
    redis_prefix: str,
    record_property: Callable[[str, object], None],
) -> None:
    redis_url = require_env("OSNOVA_TEST_REDIS_URL")
    app = make_app()
    add_user(app, username="olena")
    folders = [tmp_path / "first", tmp_path / "second"]
    with (
        served_osnova(
            database_url,
            folders[0],
            workers=2,
            OSNOVA_REDIS_URL=redis_url,
            OSNOVA_RATE_LIMIT_KEY_PREFIX=redis_prefix,
        ) as first,
        served_osnova(
            database_url,
            folders[1],
            workers=2,
            OSNOVA_REDIS_URL=redis_url,
            OSNOVA_RATE_LIMIT_KEY_PREFIX=redis_prefix,
        ) as second,
    ):
        assert_the_eleventh_is_refused([first, second], folders, record_property)
    assert stored_counters(app) == 0  # the counts are in Redis


def stored_counters(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).select_from(RateLimitCounter)) or 0)
