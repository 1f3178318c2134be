"""The web and API doors share one sign-in sequence: a success clears the failure count."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support.clients import log_in, log_out
from tests.support.factories import DEFAULT_PASSWORD, UserFactory

WRONG = "not the right password at all"


def _web_attempt(client: FlaskClient, password: str) -> int:
    status = log_in(client, "olena", password).status_code
    if status == 302:
        log_out(client)
    return status


def _api_attempt(client: FlaskClient, password: str) -> int:
    body = {"username": "olena", "password": password}
    return client.post("/api/v1/auth/tokens", json=body).status_code


@pytest.mark.parametrize(
    ("attempt", "refused", "accepted"),
    [(_web_attempt, 200, 302), (_api_attempt, 401, 201)],
    ids=["web", "api"],
)
def test_a_successful_sign_in_clears_the_failure_count(
    app: Flask,
    make_app: Callable[..., Flask],
    attempt: Callable[[FlaskClient, str], int],
    refused: int,
    accepted: int,
) -> None:
    UserFactory(username="olena")
    client = make_app(login_failures_per_account="3 per 15 minutes").test_client()
    assert [attempt(client, WRONG) for _ in range(2)] == [refused, refused]
    assert attempt(client, DEFAULT_PASSWORD) == accepted
    # Two more failures would make four in the window had the success not cleared the count.
    assert [attempt(client, WRONG) for _ in range(2)] == [refused, refused]
    assert attempt(client, DEFAULT_PASSWORD) == accepted


@pytest.mark.parametrize("attempt", [_web_attempt, _api_attempt], ids=["web", "api"])
def test_the_failure_limit_holds_for_both_doors(
    app: Flask, make_app: Callable[..., Flask], attempt: Callable[[FlaskClient, str], int]
) -> None:
    UserFactory(username="olena")
    client = make_app(login_failures_per_account="3 per 15 minutes").test_client()
    for _ in range(3):
        attempt(client, WRONG)
    assert attempt(client, DEFAULT_PASSWORD) == 429
