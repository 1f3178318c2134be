"""A failed sign-in says and costs the same whether or not the account exists."""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from osnova.config import Environment
from osnova.extensions import SETTINGS_KEY
from osnova.security import hash_password
from tests.support.clients import CSRF_PATTERN, csrf_token
from tests.web.test_account_journey import add_user

TRIES = 40  # at least 20 each; more keeps the medians steady on a busy machine


def timed_failure(client: FlaskClient, login: str) -> tuple[float, int, str]:
    token = csrf_token(client, "/login")
    started = time.perf_counter()
    response = client.post(
        "/login", data={"csrf_token": token, "login": login, "password": "wrong password here"}
    )
    elapsed = time.perf_counter() - started
    body = CSRF_PATTERN.sub("csrf", response.text).replace(login, "LOGIN")
    return elapsed, response.status_code, body


def test_unknown_user_and_wrong_password_look_and_take_the_same(
    make_app: Callable[..., Flask], record_property: Callable[[str, object], None]
) -> None:
    # Real (development) argon2 parameters: the point is the cost of hashing.
    app = make_app(
        env=Environment.DEVELOPMENT,
        login_failures_per_account="1000 per 15 minutes",
        login_attempts_per_ip="1000 per 15 minutes",
    )
    settings = app.extensions[SETTINGS_KEY]
    add_user(app, username="olena", password_hash=hash_password(settings, "the real password 1"))
    client = app.test_client()
    known: list[float] = []
    unknown: list[float] = []
    bodies: set[tuple[int, str]] = set()
    for _ in range(TRIES):  # interleaved, so machine noise hits both alike
        for login, samples in (("olena", known), ("nobody-here", unknown)):
            elapsed, status, body = timed_failure(client, login)
            samples.append(elapsed)
            bodies.add((status, body))
    known_median, unknown_median = statistics.median(known), statistics.median(unknown)
    record_property("median ms, wrong password", round(known_median * 1000, 1))
    record_property("median ms, unknown user", round(unknown_median * 1000, 1))
    assert len(bodies) == 1, "the answers differ"
    assert next(iter(bodies))[0] == 200
    assert unknown_median == pytest.approx(known_median, rel=0.2)
    assert re.search(r"Invalid username, email or password", next(iter(bodies))[1])
