"""Import and export over HTTP: the report, the refusals, and a streamed download."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import cast

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from osnova.database import utcnow
from osnova.models import AuditEvent, Item, User
from tests.support.clients import (
    PROBLEM,
    assert_problem,
    bearer,
    field_errors,
    row_errors,
    token_for,
)
from tests.support.factories import UserFactory

USERS_CSV = "username,email,full_name\nann,ann@example.org,Ann\nbob,bob@example.org,Bob\n"


def count(session: Session, model: type[User] | type[Item]) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model)) or 0


def test_an_admin_imports_users_from_a_raw_csv_body(client: FlaskClient, session: Session) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    dry = client.post(
        "/api/v1/imports/users?dry_run=true",
        data=USERS_CSV,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert dry.status_code == 200
    assert dry.get_json()["created"] == 2
    assert count(session, User) == 1  # a dry run writes nothing
    done = client.post(
        "/api/v1/imports/users",
        data=USERS_CSV,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert (done.status_code, done.get_json()["created"]) == (200, 2)
    assert count(session, User) == 3


def test_a_multipart_upload_with_a_bad_line_is_a_422_and_writes_nothing(
    client: FlaskClient, session: Session
) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    bad = USERS_CSV + "carol,not-an-email,Carol\n"
    response = client.post(
        "/api/v1/imports/users",
        data={"file": (io.BytesIO(bad.encode()), "users.csv")},
        headers=admin,
        content_type="multipart/form-data",
    )
    body = assert_problem(response, 422)
    assert (4, "email") in row_errors(body)
    assert count(session, User) == 1


def test_rows_that_clash_with_stored_accounts_are_a_409_and_write_nothing(
    client: FlaskClient, session: Session
) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    UserFactory(username="ann", email="ann@example.org")
    clash = client.post(
        "/api/v1/imports/users", data=USERS_CSV, headers={**admin, "Content-Type": "text/csv"}
    )
    assert set(row_errors(assert_problem(clash, 409))) == {(2, "username")}
    assert count(session, User) == 2
    skipped = client.post(
        "/api/v1/imports/users?on_conflict=skip",
        data=USERS_CSV,
        headers={**admin, "Content-Type": "text/csv"},
    )
    assert (skipped.status_code, skipped.get_json()["skipped"]) == (200, 1)
    assert count(session, User) == 3


def test_an_invalid_row_makes_a_422_that_also_lists_the_clash(
    client: FlaskClient, session: Session
) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    UserFactory(username="ann", email="ann@example.org")
    rows = [
        {"username": "ann", "email": "ann@example.org"},
        {"username": "bob", "email": "not-an-email"},
    ]
    response = client.post("/api/v1/imports/users", json=rows, headers=admin)
    # One pass: the invalid row and the clash are both listed; any invalid row makes it a 422.
    body = assert_problem(response, 422)
    assert set(row_errors(body)) == {(1, "username"), (2, "email")}
    assert [error["conflict"] for error in body["errors"]] == [True, False]
    assert count(session, User) == 2


def test_an_item_whose_external_id_is_taken_is_a_409(client: FlaskClient, session: Session) -> None:
    owner = bearer(token_for(UserFactory(username="olena")))
    row = '{"title": "Brass compass", "external_id": "c-1"}\n'
    first = client.post(
        "/api/v1/imports/items?format=jsonl",
        data=row,
        headers={**owner, "Content-Type": "application/octet-stream"},
    )
    assert (first.status_code, first.get_json()["created"]) == (200, 1)
    again = client.post(
        "/api/v1/imports/items?format=jsonl",
        data=row,
        headers={**owner, "Content-Type": "application/octet-stream"},
    )
    assert set(row_errors(assert_problem(again, 409))) == {(1, "external_id")}
    assert count(session, Item) == 1


def test_users_import_and_export_are_for_admins_only(client: FlaskClient) -> None:
    user = bearer(token_for(UserFactory(username="olena")))
    refused = client.post(
        "/api/v1/imports/users", data=USERS_CSV, headers={**user, "Content-Type": "text/csv"}
    )
    assert_problem(refused, 403)
    with client.get("/api/v1/exports/users", headers=user) as denied:
        assert_problem(denied, 403)
    assert_problem(client.get("/api/v1/exports/users"), 401)


def test_an_export_is_an_attachment_that_imports_back(
    client: FlaskClient, session: Session
) -> None:
    boss = UserFactory(username="boss", role="admin")
    admin = bearer(token_for(boss))
    client.post(
        "/api/v1/imports/users", data=USERS_CSV, headers={**admin, "Content-Type": "text/csv"}
    )
    exported = client.get("/api/v1/exports/users?format=jsonl", headers=admin)
    payload = exported.get_data()
    exported.close()  # ends the streamed response's request, as a server does
    assert exported.status_code == 200
    assert exported.mimetype == "application/jsonl"
    disposition = exported.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="osnova-users-')
    assert disposition.endswith('.jsonl"')
    again = client.post(
        "/api/v1/imports/users?format=jsonl&on_conflict=skip", data=payload, headers=admin
    )
    assert again.get_json()["skipped"] == 3
    assert session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export.users")
    )


def test_the_first_bytes_leave_before_the_export_is_read(
    app: Flask, client: FlaskClient, session: Session
) -> None:
    boss = UserFactory(username="boss", role="admin")
    now = utcnow()
    rows = [
        {
            "owner_id": boss.id,
            "title": f"item {n}",
            "description": "",
            "is_public": True,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(20_000)
    ]
    session.execute(insert(Item), rows)
    session.commit()
    response = client.get(
        "/api/v1/exports/items?format=csv", headers=bearer(token_for(boss)), buffered=False
    )
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = iter(cast(Iterable[bytes], response.response))
    first = next(body)
    assert first.startswith(b"external_id,title,description,is_public,owner")
    assert first.count(b"\n") < 20_000  # only part of the rows: the rest is still to come
    rest = b"".join(body)
    response.close()
    assert (first + rest).count(b"\n") == 20_001
    assert response.headers.get("Content-Length") is None  # streamed, not buffered


def test_a_format_that_cannot_be_told_is_a_422(client: FlaskClient) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    response = client.post("/api/v1/imports/users", data=b"x", headers=admin)
    assert response.mimetype == PROBLEM
    assert "format" in field_errors(assert_problem(response, 422))


def test_a_streamed_export_gives_its_connection_back_when_the_body_ends(
    app: Flask, client: FlaskClient
) -> None:
    admin = bearer(token_for(UserFactory(username="boss", role="admin")))
    engine = app.extensions["sqlalchemy"].engine
    for path in ("/api/v1/exports/users?format=jsonl", "/api/v1/exports/items?format=csv"):
        response = client.get(path, headers=admin)
        assert response.status_code == 200
        response.get_data()
        response.close()
        # A connection kept after the body keeps its transaction (and on MariaDB the table
        # locks that stop a migration or a DROP) until the garbage collector finds it.
        assert engine.pool.checkedout() == 0, path
