"""/metrics sums every gunicorn worker exactly."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.deploy.servers import Gunicorn, fetch, migrate, osnova_env

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
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: fetch(f"{server.url}/readyz").status, range(REQUESTS)))
    assert statuses == [200] * REQUESTS
    answered_by = {entry["pid"] for entry in server.app_log() if entry.get("path") == "/readyz"}
    assert len(answered_by) == 2  # both workers took a share
    metrics = fetch(f"{server.url}/metrics").body.decode()
    assert counted(metrics, "health.readyz") == REQUESTS
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
