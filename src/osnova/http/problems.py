"""RFC 9457 problem details: the one error body of the JSON answers, API and web alike."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any

from flask import Response, g, jsonify

from osnova.errors import FieldError
from osnova.services.transfer.report import RowError

MEDIA_TYPE = "application/problem+json"


def problem(
    status: int,
    detail: str | None = None,
    errors: Iterable[FieldError | RowError] = (),
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A problem+json response; a 500 names the request id instead of any traceback."""
    title = HTTPStatus(status).phrase
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail or title,
    }
    # A refused import names rows: {line, column, message, conflict}, as its report does.
    field_errors = [
        e.to_dict() if isinstance(e, RowError) else {"field": e.field, "message": e.message}
        for e in errors
    ]
    if field_errors:
        body["errors"] = field_errors
    if status >= 500:
        request_id = g.get("request_id")
        if request_id:
            body["request_id"] = str(request_id)
    response = jsonify(body)
    response.status_code = status
    response.mimetype = MEDIA_TYPE
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response
