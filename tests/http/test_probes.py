"""Liveness and readiness probes."""

from __future__ import annotations

import subprocess
from pathlib import Path

from flask.testing import FlaskClient

from osnova import create_app
from tests.support.databases import dispose_engine, make_settings
from tests.support.environment import require_program


def test_healthz_answers_while_the_process_runs(client: FlaskClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_answers_200_when_the_database_answers(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_answers_503_with_a_reason_when_the_database_is_down(tmp_path: Path) -> None:
    # A PostgreSQL URL on a port where nothing listens: a real refused connection.
    settings = make_settings("postgresql+psycopg://osnova@127.0.0.1:9/osnova", tmp_path)
    app = create_app(settings)
    response = app.test_client().get("/readyz")
    dispose_engine(app)
    assert response.status_code == 503
    assert response.mimetype == "application/json"
    assert response.json is not None
    assert response.json["status"] == "unavailable"
    assert "database unreachable" in response.json["reason"]


def test_metrics_name_their_content_type_once(client: FlaskClient) -> None:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].count("charset") == 1


def test_an_unknown_method_adds_no_metric_series(client: FlaskClient) -> None:
    client.open("/healthz", method="RANDOMVERB123")
    scrape = client.get("/metrics").text
    assert "RANDOMVERB123" not in scrape
    assert 'method="other"' in scrape


def test_promtool_accepts_a_scrape(client: FlaskClient) -> None:
    promtool = require_program("promtool")
    client.get("/healthz")
    scrape = client.get("/metrics").data
    checked = subprocess.run(
        [promtool, "check", "metrics"], input=scrape, capture_output=True, timeout=60, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
