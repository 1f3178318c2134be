"""A NUL character (U+0000) anywhere in a request's text is refused with a clear answer, never
a 500: PostgreSQL refuses NUL in every string, so these matter most there."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support.clients import assert_problem, csrf_token, field_errors, post_form
from tests.support.factories import DEFAULT_PASSWORD, UserFactory

REFUSAL = "NUL character"


def test_a_nul_in_a_path_is_not_found(client: FlaskClient) -> None:
    UserFactory(username="olena")
    assert client.get("/user/olena").status_code == 200
    answer = client.get("/user/ole%00na")
    assert answer.status_code == 404
    assert client.get("/api/v1/users/ole%00na").status_code == 404


def test_a_nul_in_a_query_parameter_is_a_422_naming_it_on_the_api(client: FlaskClient) -> None:
    body = assert_problem(client.get("/api/v1/items?owner=a%00b"), 422)
    assert REFUSAL in field_errors(body)["owner"]


def test_a_nul_in_a_query_parameter_is_a_400_page(client: FlaskClient) -> None:
    answer = client.get("/items?q=a%00b")
    assert answer.status_code == 400
    assert REFUSAL in answer.text
    assert client.get("/items?q=ab").status_code == 200


def test_a_nul_in_a_json_body_is_a_422_naming_the_field(client: FlaskClient) -> None:
    UserFactory(username="olena")
    answer = client.post(
        "/api/v1/auth/tokens",
        json={"username": "olena", "password": DEFAULT_PASSWORD + "\x00", "name": "laptop"},
    )
    body = assert_problem(answer, 422)
    assert REFUSAL in field_errors(body)["password"]


def test_a_nul_in_a_nested_json_key_is_refused(client: FlaskClient) -> None:
    answer = client.post("/api/v1/auth/tokens", json={"username": "olena", "extra": {"a\x00": 1}})
    body = assert_problem(answer, 422)
    assert "extra" in field_errors(body)


def test_a_literal_backslash_u0000_is_text_and_not_refused(client: FlaskClient) -> None:
    answer = client.post(
        "/api/v1/auth/tokens", json={"username": "olena", "password": "\\u0000", "name": "x"}
    )
    assert answer.status_code == 401  # a wrong password, not a refusal


def test_a_nul_in_the_login_form_is_a_400_and_signs_no_one_in(client: FlaskClient) -> None:
    UserFactory(username="olena")
    answer = post_form(client, "/login", {"login": "ole\x00na", "password": DEFAULT_PASSWORD})
    assert answer.status_code == 400
    assert REFUSAL in answer.text
    assert client.get("/account").status_code == 302  # still signed out


def test_a_nul_in_the_forgot_password_form_is_a_400(client: FlaskClient) -> None:
    answer = post_form(client, "/password/forgot", {"email": "olena@example.org\x00"})
    assert answer.status_code == 400
    assert REFUSAL in answer.text


def test_a_nul_in_a_form_field_name_is_refused_too(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    answer = client.post("/login", data={"csrf_token": token, "lo\x00gin": "x"})
    assert answer.status_code == 400
