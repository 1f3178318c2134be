"""A rule's message reaches an API client as written, without pydantic's "Value error, "."""

from __future__ import annotations

from flask.testing import FlaskClient

from tests.support.clients import assert_problem, bearer, field_errors, token_for
from tests.support.factories import UserFactory


def test_a_nul_in_a_title_is_refused_at_the_edge_naming_the_field(client: FlaskClient) -> None:
    owner = bearer(token_for(UserFactory(username="olena")))
    response = client.post("/api/v1/items", json={"title": "a\u0000b"}, headers=owner)
    assert field_errors(assert_problem(response, 422)) == {
        "title": "Text may not contain the NUL character (U+0000)."
    }


def test_a_username_against_the_rule_is_named_without_a_prefix(client: FlaskClient) -> None:
    response = client.post(
        "/api/v1/users",
        json={"username": "bad name", "email": "a@example.org", "password": "x" * 20},
    )
    errors = field_errors(assert_problem(response, 422))
    assert errors["username"] == "Use only letters a-z, digits and the characters _ . -"


def test_a_query_flag_that_is_not_true_or_false_is_named_without_a_prefix(
    client: FlaskClient,
) -> None:
    owner = bearer(token_for(UserFactory(username="olena")))
    response = client.get("/api/v1/items?include_total=maybe", headers=owner)
    assert field_errors(assert_problem(response, 422)) == {"include_total": "use true or false"}
