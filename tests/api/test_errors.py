"""Every API error is an RFC 9457 problem+json with the right status; HTML pages stay HTML."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import func, select

from osnova.extensions import db
from osnova.models import Item, Role, User
from tests.support.clients import assert_problem, bearer, field_errors, token_for
from tests.support.factories import ItemFactory, UserFactory


@pytest.fixture
def token(app: Flask) -> str:
    return token_for(UserFactory(username="olena"))


def test_unknown_api_path_is_a_problem_404(client: FlaskClient) -> None:
    assert_problem(client.get("/api/v1/nothing-here"), 404)


def test_unknown_page_outside_the_api_stays_an_html_404(client: FlaskClient) -> None:
    response = client.get("/nothing-here")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert "<html" in response.text


def test_wrong_method_is_a_problem_405_with_allow(client: FlaskClient) -> None:
    response = client.put("/api/v1/items", json={})
    assert_problem(response, 405)
    assert "POST" in response.headers["Allow"]


def test_malformed_json_is_a_problem_400(client: FlaskClient, token: str) -> None:
    response = client.post(
        "/api/v1/items",
        data='{"title": ',
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


def test_deeply_nested_json_is_a_400_not_a_crash(client: FlaskClient, token: str) -> None:
    response = client.post(
        "/api/v1/items",
        data="[" * 100_000 + "]" * 100_000,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert_problem(response, 400)


def test_a_body_that_is_not_json_is_a_problem_415(client: FlaskClient, token: str) -> None:
    response = client.post("/api/v1/items", data={"title": "form post"}, headers=bearer(token))
    assert_problem(response, 415)


def test_a_body_over_256_kib_is_a_problem_413(client: FlaskClient, token: str) -> None:
    response = client.post(
        "/api/v1/items",
        data='{"title": "' + "a" * 300_000 + '"}',
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert_problem(response, 413)


def test_invalid_fields_are_a_422_naming_each_field(client: FlaskClient, token: str) -> None:
    response = client.post(
        "/api/v1/items", json={"title": "", "is_public": "maybe"}, headers=bearer(token)
    )
    errors = field_errors(assert_problem(response, 422))
    assert set(errors) == {"title", "is_public"}


def test_invalid_query_parameters_are_a_422(client: FlaskClient) -> None:
    errors = field_errors(assert_problem(client.get("/api/v1/items?limit=1000"), 422))
    assert set(errors) == {"limit"}


@pytest.mark.parametrize(
    "cursor", ["zzz", "bm90IGEgY3Vyc29y", "MjAyNi0xMS0yNHwtNQ", "%00", "x" * 150]
)
def test_malformed_or_tampered_cursor_is_a_422(client: FlaskClient, cursor: str) -> None:
    errors = field_errors(assert_problem(client.get(f"/api/v1/items?cursor={cursor}"), 422))
    assert set(errors) == {"cursor"}


@pytest.mark.parametrize(
    ("cursor", "listed"),
    [
        ("", ["new", "old"]),
        ("9999999999999999_9999999999999999999", ["new", "old"]),  # after 2286: all older
        ("1767225600000000_1", ["old"]),  # 2026-01-01T00:00:00Z
        ("-9999999999999999_0", []),
    ],
)
def test_any_cursor_of_the_published_shape_is_a_position(
    client: FlaskClient, cursor: str, listed: list[str]
) -> None:
    ItemFactory(title="old", is_public=True, created_at=datetime(2025, 6, 1, tzinfo=UTC))
    ItemFactory(title="new", is_public=True, created_at=datetime(2026, 6, 1, tzinfo=UTC))
    response = client.get("/api/v1/items", query_string={"cursor": cursor})
    assert response.status_code == 200, response.text
    assert [item["title"] for item in response.get_json()["items"]] == listed


@pytest.mark.parametrize(
    "smuggled", [{"id": 99}, {"owner_id": 1}, {"role": "admin"}, {"is_active": False}]
)
def test_mass_assignment_is_refused_and_nothing_changes(
    client: FlaskClient, app: Flask, smuggled: dict[str, object]
) -> None:
    owner = UserFactory(username="olena")
    item = ItemFactory(owner=owner, title="Before")
    token = token_for(owner)
    patched = client.patch(
        f"/api/v1/items/{item.id}", json={"title": "After", **smuggled}, headers=bearer(token)
    )
    assert set(field_errors(assert_problem(patched, 422))) == set(smuggled)
    me = client.patch(
        "/api/v1/users/me", json={"full_name": "X", **smuggled}, headers=bearer(token)
    )
    assert set(field_errors(assert_problem(me, 422))) == set(smuggled)
    db.session.expire_all()
    assert db.session.get(Item, item.id).title == "Before"  # type: ignore[union-attr]
    assert owner.role == Role.USER.value
    assert owner.is_active
    assert owner.full_name != "X"


def test_registering_a_taken_username_is_a_409_naming_the_field(client: FlaskClient) -> None:
    UserFactory(username="olena", email="olena@example.org")
    body = {"username": "Olena", "email": "new@example.org", "password": "a long passphrase ok"}
    response = client.post("/api/v1/users", json=body)
    assert set(field_errors(assert_problem(response, 409))) == {"username"}
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_an_admin_giving_an_account_another_accounts_email_is_a_409(client: FlaskClient) -> None:
    """(An account's own change of address never says whether an address is taken.)"""
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    UserFactory(username="taras", email="taras@example.org")
    UserFactory(username="olena", email="olena@example.org")
    response = client.patch(
        "/api/v1/users/olena", json={"email": "TARAS@example.org"}, headers=admin
    )
    assert set(field_errors(assert_problem(response, 409))) == {"email"}
    olena = client.get("/api/v1/users/olena", headers=admin).get_json()
    assert olena["email"] == "olena@example.org"


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
@pytest.mark.parametrize("item_id", [2**31, 2**63])
def test_an_item_id_beyond_any_row_is_a_404(
    client: FlaskClient, token: str, method: str, item_id: int
) -> None:
    response = client.open(
        f"/api/v1/items/{item_id}", method=method, json={"title": "T"}, headers=bearer(token)
    )
    assert_problem(response, 404)


def test_demoting_the_last_admin_is_a_problem_409(client: FlaskClient) -> None:
    admin = UserFactory(username="boss", role="admin")
    response = client.patch(
        "/api/v1/users/boss", json={"role": "user"}, headers=bearer(token_for(admin))
    )
    assert_problem(response, 409)


def test_too_many_failed_token_requests_are_a_429_with_retry_after(client: FlaskClient) -> None:
    UserFactory(username="olena")
    for _ in range(10):
        wrong = client.post(
            "/api/v1/auth/tokens", json={"username": "olena", "password": "wrong password"}
        )
        assert_problem(wrong, 401)
    blocked = client.post(
        "/api/v1/auth/tokens",
        json={"username": "olena", "password": "correct horse battery staple"},
    )
    assert_problem(blocked, 429)
    assert 0 < int(blocked.headers["Retry-After"]) <= 15 * 60


def test_too_many_registrations_from_one_address_are_a_429(
    make_app: Callable[..., Flask],
) -> None:
    client = make_app(registrations_per_ip="2 per hour").test_client()
    for n in range(2):
        body = {
            "username": f"new{n}",
            "email": f"new{n}@example.org",
            "password": "a long and unusual passphrase",
        }
        assert client.post("/api/v1/users", json=body).status_code == 202
    body = {"username": "new9", "email": "new9@example.org", "password": "a long and unusual pp"}
    blocked = client.post("/api/v1/users", json=body)
    assert_problem(blocked, 429)
    assert int(blocked.headers["Retry-After"]) > 0


def test_an_unhandled_error_is_a_500_with_the_request_id_and_no_traceback(app: Flask) -> None:
    def boom() -> str:
        g.request_id = "req-1234"
        raise RuntimeError("secret internals")

    app.add_url_rule("/api/v1/boom", "boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer as production does, not re-raise
    response = app.test_client().get("/api/v1/boom")
    body = assert_problem(response, 500)
    assert body["request_id"] == "req-1234"
    assert "secret internals" not in response.get_data(as_text=True)


def test_registration_when_closed_is_a_problem_403(make_app: Callable[..., Flask]) -> None:
    client = make_app(registration_open=False).test_client()
    body = {"username": "newbie", "email": "n@example.org", "password": "a long passphrase ok"}
    assert_problem(client.post("/api/v1/users", json=body), 403)


@pytest.mark.parametrize("body", ["null", "[]", '"text"', "3"])
def test_a_body_that_is_not_a_json_object_is_a_422(
    client: FlaskClient, token: str, body: str
) -> None:
    response = client.patch(
        "/api/v1/users/me", data=body, headers={**bearer(token), "Content-Type": "application/json"}
    )
    assert_problem(response, 422)


@pytest.mark.parametrize("body", [{"is_public": 0}, {"title": 5}, {"is_public": "true"}])
def test_json_types_are_not_coerced(
    client: FlaskClient, token: str, body: dict[str, object]
) -> None:
    response = client.post("/api/v1/items", json={"title": "T", **body}, headers=bearer(token))
    assert set(field_errors(assert_problem(response, 422))) == set(body)


def test_user_list_pages_follow_the_cursor_of_the_last_username(client: FlaskClient) -> None:
    admin = UserFactory(username="boss", role="admin")
    for name in ("anna", "bohdan", "cyril"):
        UserFactory(username=name)
    headers = bearer(token_for(admin))
    first = client.get("/api/v1/users?limit=2&cursor=", headers=headers).get_json()
    assert "total" not in first
    assert [u["username"] for u in first["items"]] == ["anna", "bohdan"]
    second = client.get(f"/api/v1/users?limit=2&cursor={first['next_cursor']}", headers=headers)
    assert [u["username"] for u in second.get_json()["items"]] == ["boss", "cyril"]
    assert_problem(client.get("/api/v1/users?cursor=AAAA", headers=headers), 422)
