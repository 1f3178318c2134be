"""A body up to its limit is taken whole; one byte more is a 413, declared or chunked.

The JSON API takes bodies up to 256 KiB, imports and web forms up to 16 MiB. A chunked
body declares no length, so the limit can only be found by reading: these tests send each
size both ways, through the test client (with the terminated stream gunicorn gives the app)
and through a real gunicorn, and check that a refused body wrote nothing.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from osnova.api.auth import MAX_BODY_BYTES
from osnova.app import MAX_REQUEST_BYTES
from osnova.models import Item
from tests.support.clients import bearer, csrf_token, log_in, token_for
from tests.support.factories import UserFactory
from tests.support.live import served_osnova
from tests.support.servers import send_body

SIZES = (-1, 0, 1)  # bytes from the limit
FRAMINGS = ("declared", "chunked")


def item_body(size: int) -> bytes:
    """A valid item of exactly ``size`` bytes; cut anywhere in its padding, it stays valid."""
    body = json.dumps({"title": "sized", "description": "kept whole"}).encode()
    return body + b" " * (size - len(body))


def import_body(size: int) -> bytes:
    """A JSON import of one item, exactly ``size`` bytes long."""
    body = json.dumps([{"title": "imported"}]).encode()
    return body + b" " * (size - len(body))


def stored_items(session: Session) -> int:
    session.rollback()  # a fresh snapshot: rows the server committed since are seen
    return session.scalar(select(func.count()).select_from(Item)) or 0


def post(
    client: FlaskClient,
    path: str,
    body: bytes,
    *,
    framing: str,
    headers: dict[str, str] | None = None,
    content_type: str | None = None,
) -> TestResponse:
    """POST as gunicorn hands a request to the app: its stream ends with the body, and a
    chunked body has no Content-Length."""
    sent = dict(headers or {})
    if framing == "chunked":
        sent["Transfer-Encoding"] = "chunked"
    return client.post(
        path,
        input_stream=io.BytesIO(body),
        headers=sent,
        content_type=content_type,
        environ_overrides={"wsgi.input_terminated": True},
    )


@pytest.fixture
def admin_token(app: Flask) -> str:
    return token_for(UserFactory(username="boss", role="admin"))


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("offset", SIZES)
def test_a_json_body_at_the_limit_is_taken_and_over_it_refused(
    client: FlaskClient, session: Session, admin_token: str, framing: str, offset: int
) -> None:
    response = post(
        client,
        "/api/v1/items",
        item_body(MAX_BODY_BYTES + offset),
        framing=framing,
        headers={**bearer(admin_token), "Content-Type": "application/json"},
    )
    if offset <= 0:
        assert response.status_code == 201, response.text
        assert response.get_json()["description"] == "kept whole"
        assert stored_items(session) == 1
    else:
        assert response.status_code == 413
        assert response.mimetype == "application/problem+json"
        assert stored_items(session) == 0


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("offset", SIZES)
def test_an_import_at_the_limit_is_taken_and_over_it_refused(
    client: FlaskClient, session: Session, admin_token: str, framing: str, offset: int
) -> None:
    response = post(
        client,
        "/api/v1/imports/items?format=json",
        import_body(MAX_REQUEST_BYTES + offset),
        framing=framing,
        headers={**bearer(admin_token), "Content-Type": "application/json"},
    )
    if offset <= 0:
        assert response.status_code == 200, response.text
        assert response.get_json()["created"] == 1
    else:
        assert response.status_code == 413
        assert response.mimetype == "application/problem+json"
    assert stored_items(session) == (1 if offset <= 0 else 0)


def admin_upload(size: int, csrf: str) -> tuple[str, bytes]:
    """The admin page's upload form, ``size`` bytes in all, padding the file's JSON."""
    boundary = "osnova-size-check"
    fields = {"csrf_token": csrf, "kind": "items", "file_format": "json", "on_conflict": "error"}
    head = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    )
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="items.json"'
        "\r\nContent-Type: application/json\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return boundary, head + import_body(size - len(head) - len(tail)) + tail


@pytest.mark.parametrize("framing", FRAMINGS)
@pytest.mark.parametrize("offset", SIZES)
def test_an_admin_upload_at_the_limit_is_checked_and_over_it_gets_the_413_page(
    client: FlaskClient, framing: str, offset: int
) -> None:
    UserFactory(username="boss", role="admin")
    log_in(client, "boss")
    boundary, body = admin_upload(MAX_REQUEST_BYTES + offset, csrf_token(client, "/admin/transfer"))
    response = post(
        client,
        "/admin/transfer",
        body,
        framing=framing,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.mimetype == "text/html"
    if offset <= 0:
        assert response.status_code == 200, response.text
        assert 'name="ticket"' in response.text  # the clean dry run offers the import
    else:
        assert response.status_code == 413


@pytest.fixture
def live_server(database_url: str, admin_token: str, tmp_path: Path) -> Iterator[str]:
    # Six imports in a minute: the per-account import limit is not what this test is about.
    with served_osnova(
        database_url, tmp_path / "live", workers=1, OSNOVA_IMPORTS_PER_ACCOUNT="100 per minute"
    ) as base_url:
        yield base_url


def test_through_gunicorn_each_limit_holds_to_the_byte_declared_or_chunked(
    live_server: str, session: Session, admin_token: str
) -> None:
    """The whole table of outcomes, as a client of the real server sees it."""
    headers = {**bearer(admin_token), "Content-Type": "application/json"}
    cases = {
        "json": ("/api/v1/items", item_body, MAX_BODY_BYTES),
        "import": ("/api/v1/imports/items?format=json", import_body, MAX_REQUEST_BYTES),
    }
    seen: dict[tuple[str, str, int], tuple[int, int]] = {}
    for name, (path, make_body, limit) in cases.items():
        for framing in FRAMINGS:
            for offset in SIZES:
                before = stored_items(session)
                answer = send_body(
                    live_server + path,
                    make_body(limit + offset),
                    chunked=framing == "chunked",
                    headers=headers,
                )
                seen[name, framing, offset] = (answer.status, stored_items(session) - before)
    expected = {
        (name, framing, offset): ((201 if name == "json" else 200), 1) if offset <= 0 else (413, 0)
        for name in cases
        for framing in FRAMINGS
        for offset in SIZES
    }
    assert seen == expected


def test_through_gunicorn_a_chunked_form_over_the_limit_gets_the_413_page(
    live_server: str,
) -> None:
    body = b"login=someone&password=" + b"x" * MAX_REQUEST_BYTES
    answer = send_body(
        f"{live_server}/login",
        body,
        chunked=True,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status == 413
    assert answer.headers["content-type"].startswith("text/html")
    assert b"<html" in answer.body
