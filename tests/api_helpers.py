"""Calling the JSON API the way a client does: a real token in the Authorization header."""

from __future__ import annotations

from typing import Any

from werkzeug.test import TestResponse

from osnova.extensions import db
from osnova.models import User
from osnova.services import tokens

PROBLEM = "application/problem+json"


def token_for(user: User, days: int = 30) -> str:
    """A fresh token of ``user``, committed, as its secret."""
    issued = tokens.create_token(session=db.session(), user=user, name="test", days=days)
    db.session.commit()
    return issued.secret


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
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
