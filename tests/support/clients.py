"""Clients that call the app as real callers do: isolated requests, forms with CSRF, tokens."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.sessions import SessionMixin
from flask.testing import FlaskClient
from werkzeug.test import TestResponse
from werkzeug.wrappers import Response

from osnova.extensions import db
from osnova.models import User
from osnova.services import tokens
from tests.support.factories import DEFAULT_PASSWORD

PROBLEM = "application/problem+json"
CSRF_PATTERN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


class IsolatedClient(FlaskClient):
    """A test client whose requests never see the test's own app context.

    Flask reuses an already pushed app context for a request, which would share ``g`` (the
    signed-in user, the CSRF token) and the database session between requests. Running each
    request in an empty ``contextvars`` context gives it fresh ones, as in production.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        context = contextvars.Context()
        response: TestResponse = context.run(super().open, *args, **kwargs)
        if not isinstance(response.response, list | tuple):  # streamed: read it in its context
            response.response = IterateInContext(context, response.response)
        return response

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[SessionMixin]:
        context = contextvars.Context()
        manager = context.run(super().session_transaction, *args, **kwargs)
        flask_session = context.run(manager.__enter__)
        try:
            yield flask_session
        finally:
            context.run(manager.__exit__, None, None, None)


class IterateInContext:
    """A streamed body that is read, and closed, in the context its request ran in."""

    def __init__(self, context: contextvars.Context, iterable: Any) -> None:
        self.context = context
        self.iterable = iterable
        self.iterator = context.run(iter, iterable)

    def __iter__(self) -> IterateInContext:
        return self

    def __next__(self) -> Any:
        return self.context.run(next, self.iterator)

    def close(self) -> None:
        close = getattr(self.iterable, "close", None)
        if close is not None:
            self.context.run(close)


def token_for(user: User, days: int = 30) -> str:
    """A fresh token of ``user``, committed, as its secret."""
    issued = tokens.create_token(session=db.session(), user=user, name="test", days=days)
    db.session.commit()
    return issued.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response: Response, status: int) -> dict[str, Any]:
    """``response`` is an RFC 9457 problem with ``status``; its body."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert isinstance(body, dict)
    assert body["status"] == status
    assert body["type"] == "about:blank"
    assert isinstance(body["title"], str)
    assert body["title"]
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


def field_errors(body: dict[str, Any]) -> dict[str, str]:
    errors = body["errors"]
    assert all(set(error) == {"field", "message"} for error in errors)
    return {error["field"]: error["message"] for error in errors}


def row_errors(body: dict[str, Any]) -> dict[tuple[int, str | None], str]:
    """A refused import's errors by (line, column): each names its row, as the report does."""
    errors = body["errors"]
    assert all(set(error) == {"line", "column", "message", "conflict"} for error in errors)
    return {(error["line"], error["column"]): error["message"] for error in errors}


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = CSRF_PATTERN.search(page.text)
    assert match is not None, f"no CSRF token on {path} ({page.status_code})"
    return match.group(1)


def post_form(
    client: FlaskClient, path: str, data: dict[str, str], *, form_page: str | None = None
) -> TestResponse:
    token = csrf_token(client, form_page or path)
    return client.post(path, data={"csrf_token": token, **data})


def log_in(
    client: FlaskClient, login: str, password: str = DEFAULT_PASSWORD, **extra: str
) -> TestResponse:
    return post_form(client, "/login", {"login": login, "password": password, **extra})


def log_out(client: FlaskClient) -> TestResponse:
    return post_form(client, "/logout", {}, form_page="/")
