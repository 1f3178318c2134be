"""/metrics sums every gunicorn worker exactly."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support.servers import Gunicorn, fetch, migrate, osnova_env

REQUESTS = 300


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Gunicorn]:
    env = osnova_env(tmp_path)
    migrate(env)
    app = Gunicorn(tmp_path, env, workers=2).start()
    try:
        yield app
    finally:
        app.stop()


def counted(metrics: str, endpoint: str) -> float:
    labels = rf'endpoint="{endpoint}",method="GET",status="200"'
    pattern = rf"^osnova_http_requests_total\{{{labels}\}} (\S+)$"
    return sum(float(m.group(1)) for m in re.finditer(pattern, metrics, re.MULTILINE))


def test_the_request_counter_is_exact_over_two_workers(server: Gunicorn) -> None:
    # The second worker may still be starting when the first answers: send rounds of requests
    # until both have taken a share (on a busy machine the first can take a whole round).
    sent, answered_by = 0, set[object]()
    deadline = time.monotonic() + 60
    with ThreadPoolExecutor(max_workers=8) as pool:
        while len(answered_by) < 2 and time.monotonic() < deadline:
            statuses = list(
                pool.map(lambda _: fetch(f"{server.url}/readyz").status, range(REQUESTS))
            )
            assert statuses == [200] * REQUESTS
            sent += REQUESTS
            answered_by = {e["pid"] for e in server.app_log() if e.get("path") == "/readyz"}
    assert len(answered_by) == 2  # both workers took a share
    metrics = fetch(f"{server.url}/metrics").body.decode()
    assert counted(metrics, "probes.readyz") == sent
    assert "osnova_http_request_duration_seconds_bucket" in metrics
    assert "osnova_db_pool_checked_out" in metrics


def test_metrics_are_refused_to_a_non_loopback_client_without_the_token(
    tmp_path: Path,
) -> None:
    env = osnova_env(tmp_path, OSNOVA_TRUSTED_PROXIES="1", OSNOVA_METRICS_TOKEN="m" * 32)
    migrate(env)
    app = Gunicorn(tmp_path, env, workers=1).start()
    try:
        outside = {"X-Forwarded-For": "203.0.113.9"}
        assert fetch(f"{app.url}/metrics", headers=outside).status == 403
        with_token = outside | {"Authorization": "Bearer " + "m" * 32}
        assert fetch(f"{app.url}/metrics", headers=with_token).status == 200
    finally:
        app.stop()
