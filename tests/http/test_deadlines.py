"""A request past its deadline (OSNOVA_REQUEST_DEADLINE_SECONDS) is answered 503 in time,
keeps nothing it wrote, and leaves its worker fit for the next request."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, func, select

from osnova import deadline
from osnova.models import User
from tests.support.servers import Gunicorn, fetch, osnova_env
from tests.support.slow_app import WRITTEN_USERNAME

DEADLINE_SECONDS = 1.0


@pytest.fixture
def slow_server(database_url: str, tmp_path: Path) -> Iterator[Gunicorn]:
    """The slow-query app under gunicorn: one worker, one thread, a 1 s deadline."""
    env = osnova_env(
        tmp_path,
        OSNOVA_DATABASE_URL=database_url,
        OSNOVA_REQUEST_DEADLINE_SECONDS=str(DEADLINE_SECONDS),
        OSNOVA_THREADS="1",
    )
    server = Gunicorn(tmp_path, env, workers=1, app_module="tests.support.slow_app:build()")
    server.start()
    try:
        yield server
    finally:
        server.stop()


def users_named(database_url: str, username: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            query = select(func.count()).select_from(User).where(User.username == username)
            return int(connection.execute(query).scalar_one())
    finally:
        engine.dispose()


# A statement that starts at once, and one that starts half-way through the request's time.
@pytest.mark.parametrize("wait", ["0", "0.5"])
def test_a_slow_query_ends_with_503_within_a_second_of_the_deadline(
    wait: str,
    slow_server: Gunicorn,
    database_url: str,
    backend: str,
    record_property: Callable[[str, object], None],
) -> None:
    workers = slow_server.worker_pids()
    started = time.monotonic()
    answer = fetch(
        f"{slow_server.url}/slow-query?wait={wait}", headers={"Accept": "application/json"}
    )
    elapsed = time.monotonic() - started
    record_property(f"503 after (s), {backend}, query starting at {wait} s", round(elapsed, 3))

    assert answer.status == 503
    assert elapsed < DEADLINE_SECONDS + 1
    assert answer.headers["content-type"] == "application/problem+json"
    assert int(answer.headers["retry-after"]) > 0
    assert "took too long" in json.loads(answer.body)["detail"]
    assert users_named(database_url, WRITTEN_USERNAME) == 0  # its write was rolled back

    after = fetch(f"{slow_server.url}/api/v1/items")
    assert after.status == 200
    assert slow_server.worker_pids() == workers  # the same worker, not a restarted one
    metrics = fetch(f"{slow_server.url}/metrics").body.decode()
    assert re.search(
        r'^osnova_http_deadline_exceeded_total\{endpoint="slow_query"\} 1\.0$',
        metrics,
        re.MULTILINE,
    )
    lines = [r for r in slow_server.app_log() if r.get("message") == "request deadline exceeded"]
    assert len(lines) == 1
    assert lines[0]["path"] == "/slow-query"


def test_a_page_past_its_deadline_is_a_503_page_in_the_readers_language(
    slow_server: Gunicorn,
) -> None:
    answer = fetch(
        f"{slow_server.url}/slow-query",
        headers={"Accept": "text/html", "Accept-Language": "uk"},
    )
    assert answer.status == 503
    assert answer.headers["content-type"].startswith("text/html")
    assert "Сервер відповідав надто довго" in answer.body.decode()


def test_a_long_loop_that_checks_the_deadline_ends_with_503(
    make_app: Callable[..., Flask],
) -> None:
    app = make_app(request_deadline_seconds=0.2)
    rounds: list[int] = []

    @app.get("/long-loop")
    def long_loop() -> str:
        for n in range(10**9):
            deadline.check()
            rounds.append(n)
            time.sleep(0.01)
        return "finished"

    started = time.monotonic()
    answer = app.test_client().get("/long-loop", headers={"Accept": "application/json"})
    elapsed = time.monotonic() - started
    assert answer.status_code == 503
    assert answer.headers["Retry-After"]
    assert 0.2 <= elapsed < 1.2
    assert 0 < len(rounds) < 100


def test_no_deadline_applies_outside_a_request() -> None:
    assert deadline.remaining() is None
    deadline.check()  # the CLI and the job worker are never cut short
