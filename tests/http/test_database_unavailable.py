"""A database out of reach is a 503 with Retry-After (try again, or another host), not a 500."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from osnova import create_app
from tests.support.clients import PROBLEM
from tests.support.databases import dispose_engine, make_settings

# A PostgreSQL URL on a port where nothing listens: a real refused connection.
NOBODY_LISTENS = "postgresql+psycopg://osnova@127.0.0.1:9/osnova"


def unreachable_app(tmp_path: Path, url: str = NOBODY_LISTENS) -> Flask:
    app = create_app(make_settings(url, tmp_path))
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does, not re-raise
    return app


def test_a_page_needing_an_unreachable_database_answers_503_in_the_user_s_language(
    tmp_path: Path,
) -> None:
    app = unreachable_app(tmp_path)
    response = app.test_client().get("/items", headers={"Accept-Language": "uk"})
    dispose_engine(app)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.mimetype == "text/html"
    assert "Тимчасово недоступно" in response.text
    assert "Traceback" not in response.text


def test_the_api_answers_a_503_problem_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = unreachable_app(tmp_path)
    response = app.test_client().get("/api/v1/items")
    dispose_engine(app)
    assert (response.status_code, response.mimetype) == (503, PROBLEM)
    assert response.headers["Retry-After"] == "5"
    assert response.json is not None
    assert response.json["status"] == 503


def test_a_database_file_that_cannot_be_opened_is_still_a_500(tmp_path: Path) -> None:
    """Not a network failure: no other host would do better, so it is not passed off as one."""
    app = unreachable_app(tmp_path, "sqlite:////nonexistent-folder/osnova.sqlite3")
    response = app.test_client().get("/api/v1/items")
    dispose_engine(app)
    assert response.status_code == 500


def test_a_rate_limited_form_with_redis_out_of_reach_answers_503(tmp_path: Path) -> None:
    """Limits are never counted per process instead (that would admit N times the limit)."""
    settings = make_settings(
        f"sqlite:///{tmp_path / 'osnova.sqlite3'}",
        tmp_path,
        redis_url="redis://127.0.0.1:9/0",  # nothing listens there
    )
    app = create_app(settings)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = app.test_client().post(
        "/api/v1/auth/tokens", json={"username": "nobody", "password": "whatever it is"}
    )
    dispose_engine(app)
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
