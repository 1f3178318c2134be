"""Every error status gets a page in the visitor's language, never a traceback."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import BadRequest
from werkzeug.test import TestResponse

from tests.support.clients import csrf_token, log_in
from tests.support.factories import UserFactory

UK = {"Accept-Language": "uk"}
WRONG = "not the right password at all"


def bad_request(client: FlaskClient) -> TestResponse:
    """A request the view cannot understand (osnova's own forms answer with their errors)."""

    def refuse() -> str:
        raise BadRequest

    client.application.add_url_rule("/refuse", "refuse", refuse)
    return client.get("/refuse", headers=UK)


def missing_csrf(client: FlaskClient) -> TestResponse:
    return client.post("/login", data={"login": "x", "password": "y"}, headers=UK)


def forbidden(client: FlaskClient) -> TestResponse:
    UserFactory(username="olena")
    log_in(client, "olena")
    return client.get("/admin/users", headers=UK)


def not_found(client: FlaskClient) -> TestResponse:
    return client.get("/items/424242", headers=UK)


def method_not_allowed(client: FlaskClient) -> TestResponse:
    return client.get("/logout", headers=UK)


def too_large(client: FlaskClient) -> TestResponse:
    body = b"x" * (17 * 1024 * 1024)
    return client.post(
        "/items/new", data=body, content_type="application/x-www-form-urlencoded", headers=UK
    )


def too_many(client: FlaskClient) -> TestResponse:
    UserFactory(username="olena")
    for _ in range(10):
        log_in(client, "olena", WRONG)
    token = csrf_token(client, "/login")
    return client.post(
        "/login", data={"csrf_token": token, "login": "olena", "password": WRONG}, headers=UK
    )


def server_error(client: FlaskClient) -> TestResponse:
    app = client.application

    def explode() -> str:
        raise RuntimeError("internal detail")

    app.add_url_rule("/explode", "explode", explode)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return client.get("/explode", headers=UK)


@pytest.mark.parametrize(
    ("make_error", "status", "title"),
    [
        (bad_request, 400, "Некоректний запит"),
        (forbidden, 403, "Доступ заборонено"),
        (missing_csrf, 403, "Доступ заборонено"),
        (not_found, 404, "Не знайдено"),
        (method_not_allowed, 405, "Метод не дозволено"),
        (too_large, 413, "Завеликий запит"),
        (too_many, 429, "Забагато запитів"),
        (server_error, 500, "Щось пішло не так"),
    ],
    ids=["400", "403", "403-csrf", "404", "405", "413", "429", "500"],
)
def test_error_pages_speak_the_visitors_language(
    app: Flask,
    client: FlaskClient,
    make_error: Callable[[FlaskClient], TestResponse],
    status: int,
    title: str,
) -> None:
    response = make_error(client)
    assert response.status_code == status
    assert response.mimetype == "text/html"
    assert '<html lang="uk">' in response.text
    assert title in response.text
    assert "Traceback" not in response.text
    assert "internal detail" not in response.text


HUGE = 2**31  # one past the largest id a row can have (INTEGER on PostgreSQL and MariaDB)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"/items/{HUGE}"),
        ("GET", f"/items/{HUGE}/edit"),
        ("POST", f"/items/{HUGE}/delete"),
        ("POST", f"/users/{HUGE}/role"),
        ("POST", f"/users/{HUGE}/active"),
        ("POST", f"/users/{HUGE}/send-reset"),
        ("POST", f"/account/tokens/{HUGE}/revoke"),
        ("GET", f"/items/{HUGE * 10**6}"),
        ("GET", "/items/0"),
    ],
)
def test_ids_beyond_any_row_are_404_not_500(
    app: Flask, client: FlaskClient, method: str, path: str
) -> None:
    path = path.replace("/users/", "/admin/users/")
    # The route exists: the same path with a plausible id reaches a view.
    plausible = path.replace(str(HUGE * 10**6), "1").replace(str(HUGE), "1").replace("/0", "/1")
    app.url_map.bind("localhost").match(plausible, method=method)
    assert client.open(path, method=method).status_code == 404
