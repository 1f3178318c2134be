"""A refused import lists every problem of the file in one report: invalid rows, values
repeated inside the file, and clashes with stored data; and still writes nothing."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy.orm import Session

from tests.support.clients import PROBLEM, assert_problem, bearer, row_errors, token_for
from tests.support.factories import ItemFactory, UserFactory
from tests.transfer.helpers import items_table, users_table

USERNAME_RULE = "Use only letters a-z, digits and the characters _ . -"
# Line 2 clashes with a stored account, line 3 is invalid, line 5 repeats line 4, and line 6
# breaks the username rule (whose message reaches the user without pydantic's prefix).
USERS_CSV = (
    "username,email\n"
    "ann,ann@example.org\n"
    "carol,not-an-email\n"
    "bob,bob@example.org\n"
    "bob,bob2@example.org\n"
    "bad name,dan@example.org\n"
)
EXPECTED_USER_ERRORS = {
    (2, "username"): ("an account named 'ann' already exists", True),
    (3, "email"): (None, False),
    (5, "username"): ("'bob' is already on line 4 of this file", False),
    (6, "username"): (USERNAME_RULE, False),
}


def test_the_api_reports_invalid_rows_duplicates_and_clashes_at_once(
    client: FlaskClient, session: Session
) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    UserFactory(username="ann", email="ann@example.org")
    before = users_table(session)
    response = client.post(
        "/api/v1/imports/users", data=USERS_CSV, headers={**admin, "Content-Type": "text/csv"}
    )
    body = assert_problem(response, 422)
    found = row_errors(body)
    assert set(found) == set(EXPECTED_USER_ERRORS)
    for key, (message, conflict) in EXPECTED_USER_ERRORS.items():
        if message is not None:
            assert found[key] == message
        entry = next(e for e in body["errors"] if (e["line"], e["column"]) == key)
        assert entry["conflict"] is conflict
    assert not any(error["message"].startswith("Value error") for error in body["errors"])
    assert users_table(session) == before
    # The body is what the OpenAPI document promises for this answer.
    spec = client.get("/api/v1/openapi.json").get_json()
    answer = spec["paths"]["/api/v1/imports/{kind}"]["post"]["responses"]["422"]
    assert answer["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/ImportProblem"}
    rows = spec["components"]["schemas"]["ImportProblem"]["properties"]["errors"]["items"]
    row_shape = next(shape for shape in rows["anyOf"] if "line" in shape["properties"])
    assert all(set(error) == set(row_shape["required"]) for error in body["errors"])


def test_a_dry_run_reports_the_same_problems(client: FlaskClient, session: Session) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    UserFactory(username="ann", email="ann@example.org")
    response = client.post(
        "/api/v1/imports/users?dry_run=true",
        data=USERS_CSV,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert set(row_errors(assert_problem(response, 422))) == set(EXPECTED_USER_ERRORS)


def test_the_cli_prints_every_problem_and_writes_nothing(
    runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    UserFactory(username="ann", email="ann@example.org")
    before = users_table(session)
    source = tmp_path / "users.csv"
    source.write_text(USERS_CSV)
    result = runner.invoke(args=["import", "users", str(source)])
    assert result.exit_code == 1
    assert "line 2, column username: an account named 'ann' already exists" in result.output
    assert "line 3, column email: " in result.output
    assert "line 5, column username: 'bob' is already on line 4 of this file" in result.output
    assert f"line 6, column username: {USERNAME_RULE}" in result.output
    assert "Value error" not in result.output
    assert "4 error(s) in 5 rows: nothing was written" in result.output
    assert users_table(session) == before


def test_an_items_file_lists_a_nul_title_a_repeated_key_and_a_stored_key(
    client: FlaskClient, runner: FlaskCliRunner, session: Session, tmp_path: Path
) -> None:
    owner = UserFactory(username="olena")
    ItemFactory(owner=owner, title="Stored", external_id="kept-1")
    rows = (
        '{"title": "Brass compass", "external_id": "kept-1"}\n'
        '{"title": "Nul \\u0000 title", "external_id": "n-1"}\n'
        '{"title": "Lamp", "external_id": "dup"}\n'
        '{"title": "Lamp again", "external_id": "dup"}\n'
    )
    before = items_table(session)
    response = client.post(
        "/api/v1/imports/items?format=jsonl",
        data=rows,
        headers={**bearer(token_for(owner)), "Content-Type": "application/octet-stream"},
    )
    assert row_errors(assert_problem(response, 422)) == {
        (1, "external_id"): "an item with 'kept-1' already exists",
        (2, "title"): "must not contain NUL characters",
        (4, "external_id"): "'dup' is already on line 3 of this file",
    }
    source = tmp_path / "items.jsonl"
    source.write_text(rows)
    result = runner.invoke(args=["import", "items", str(source), "--as", "olena"])
    assert result.exit_code == 1
    assert "3 error(s) in 4 rows: nothing was written" in result.output
    assert items_table(session) == before
